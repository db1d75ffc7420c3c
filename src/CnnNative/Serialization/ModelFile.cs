using System.Globalization;
using CnnNative.Devices;
using CnnNative.Tensors;
using CnnNative.Training;
using Microsoft.Extensions.Logging;

namespace CnnNative.Serialization;

/// <summary>
/// Saves a <see cref="Sequential"/> as safetensors: one tensor per parameter (named like "conv2d_1.weight"),
/// and in the metadata the architecture (spec and input shape), the seed and the training settings, so that
/// Load rebuilds the same model and gives identical predictions.
/// </summary>
public static class ModelFile
{
    public const string FormatTag = "cnnnative-sequential/1";

    public static void Save(Sequential model, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = FormatTag,
            ["spec"] = model.Spec,
            ["input_shape"] = string.Join(",", model.InputShape.ToArray()),
            ["seed"] = model.Seed.ToString(CultureInfo.InvariantCulture),
        };
        if (model.Optimizer is not null) metadata["optimizer"] = model.Optimizer.Spec;
        if (model.Loss is not null) metadata["loss"] = model.Loss.Name;
        if (extraMetadata is not null)
            foreach (var (k, v) in extraMetadata) metadata[k] = v;
        var tensors = model.Parameters.Select(p => new NamedTensor(p.Name, p.Shape.ToArray(), p.Value.ToArray())).ToList();
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Rebuilds the model saved at <paramref name="path"/> on <paramref name="device"/> (not compiled).</summary>
    public static Sequential Load(string path, IDevice device, ILoggerFactory? loggerFactory = null)
        => Load(path, device, out _, loggerFactory);

    public static Sequential Load(string path, IDevice device, out IReadOnlyDictionary<string, string> metadata, ILoggerFactory? loggerFactory = null)
    {
        var (tensors, meta) = SafeTensors.Read(path);
        metadata = meta;
        if (!meta.TryGetValue("format", out var format) || format != FormatTag)
            throw new InvalidDataException($"Model file '{path}' was not written by CnnNative (format '{format ?? "missing"}', expected '{FormatTag}').");
        if (!meta.TryGetValue("spec", out var spec) || !meta.TryGetValue("input_shape", out var inputText))
            throw new InvalidDataException($"Model file '{path}' lacks the architecture (spec/input_shape metadata).");
        Shape input;
        try { input = new Shape(inputText.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()); }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"Model file '{path}' has an invalid input_shape '{inputText}'.", e);
        }
        int seed = meta.TryGetValue("seed", out var s) && int.TryParse(s, CultureInfo.InvariantCulture, out int v) ? v : 0;
        Sequential model;
        try { model = Models.ModelBuilder.Build(spec, device, input, seed, loggerFactory); }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidDataException($"Model file '{path}' describes an architecture that does not build: {e.Message}", e);
        }
        try
        {
            var byName = tensors.ToDictionary(t => t.Name);
            foreach (var p in model.Parameters)
            {
                if (!byName.Remove(p.Name, out var t))
                    throw new InvalidDataException($"Model file '{path}' has no tensor '{p.Name}' that its architecture ({spec}) needs.");
                if (!t.Shape.SequenceEqual(p.Shape.ToArray()))
                    throw new InvalidDataException($"Model file '{path}': tensor '{p.Name}' has shape [{string.Join(",", t.Shape)}] but the architecture needs {p.Shape}.");
                device.Upload(t.Data, p.Value.Buffer);
            }
            if (byName.Count > 0)
                throw new InvalidDataException($"Model file '{path}' holds tensors the architecture does not use: {string.Join(", ", byName.Keys)}.");
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
