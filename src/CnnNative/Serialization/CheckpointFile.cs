using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CnnNative.Training;

namespace CnnNative.Serialization;

/// <summary>
/// A training checkpoint on disk: a safetensors file (so any safetensors reader can open it) whose tensors are the
/// weights ("model/conv2d_1.weight"), the optimizer state ("optimizer/conv2d_1.weight.m") and the callbacks'
/// arrays ("callback/0/…"), and whose metadata holds the run's identity ("run") and its progress ("progress") as
/// JSON. Written atomically through <see cref="SafeTensors.Write(string, IReadOnlyList{NamedTensor}, IReadOnlyDictionary{string, string})"/>.
/// </summary>
internal static class CheckpointFile
{
    public const string FormatTag = "cnnnative-checkpoint/1";
    private const string ModelPrefix = "model/", OptimizerPrefix = "optimizer/", CallbackPrefix = "callback/";

    private static readonly JsonSerializerOptions Json = new()
    {
        // A best value starts at ±infinity, and a loss may be NaN: both must survive the round trip.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(string path, TrainingSnapshot snapshot)
    {
        var tensors = new List<NamedTensor>();
        foreach (var (name, values) in snapshot.Weights) tensors.Add(Flat(ModelPrefix + name, values));
        foreach (var (name, values) in snapshot.OptimizerState) tensors.Add(Flat(OptimizerPrefix + name, values));
        for (int i = 0; i < snapshot.Callbacks.Count; i++)
            foreach (var (name, values) in snapshot.Callbacks[i].Arrays) tensors.Add(Flat($"{CallbackPrefix}{i}/{name}", values));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = FormatTag,
            ["run"] = JsonSerializer.Serialize(snapshot.Run, Json),
            ["progress"] = JsonSerializer.Serialize(snapshot.Progress, Json),
            ["callbacks"] = JsonSerializer.Serialize(snapshot.Callbacks.Select(c => c.Values).ToList(), Json),
        };
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a CnnNative training checkpoint, or is damaged.</exception>
    public static TrainingSnapshot Read(string path)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        if (!metadata.TryGetValue("format", out var format) || format != FormatTag)
            throw new InvalidDataException($"'{path}' is not a CnnNative training checkpoint (format '{format ?? "missing"}', expected '{FormatTag}').");
        var run = Parse<Dictionary<string, string>>(path, metadata, "run");
        var progress = Parse<TrainingPosition>(path, metadata, "progress");
        var callbackValues = Parse<List<Dictionary<string, double>>>(path, metadata, "callbacks");
        var callbacks = callbackValues.Select(values =>
        {
            var state = new CallbackState();
            foreach (var (k, v) in values) state.Values[k] = v;
            return state;
        }).ToList();
        var weights = new Dictionary<string, float[]>();
        var optimizer = new Dictionary<string, float[]>();
        foreach (var t in tensors)
        {
            if (t.Name.StartsWith(ModelPrefix, StringComparison.Ordinal)) weights[t.Name[ModelPrefix.Length..]] = t.Data;
            else if (t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optimizer[t.Name[OptimizerPrefix.Length..]] = t.Data;
            else if (t.Name.StartsWith(CallbackPrefix, StringComparison.Ordinal) && t.Name.IndexOf('/', CallbackPrefix.Length) is int slash and > 0
                     && int.TryParse(t.Name.AsSpan(CallbackPrefix.Length, slash - CallbackPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                     && index < callbacks.Count)
                callbacks[index].Arrays[t.Name[(slash + 1)..]] = t.Data;
            else throw new InvalidDataException($"Checkpoint '{path}' holds a tensor '{t.Name}' that belongs to nothing.");
        }
        return new TrainingSnapshot { Run = run, Progress = progress, Weights = weights, OptimizerState = optimizer, Callbacks = callbacks };
    }

    private static NamedTensor Flat(string name, float[] values) => new(name, [values.Length], values);

    private static T Parse<T>(string path, Dictionary<string, string> metadata, string key)
    {
        if (!metadata.TryGetValue(key, out var text))
            throw new InvalidDataException($"Checkpoint '{path}' lacks its '{key}' metadata.");
        try
        {
            return JsonSerializer.Deserialize<T>(text, Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}' has unreadable '{key}' metadata ({e.Message}).", e);
        }
    }
}
