using System.Globalization;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CnnNative.Serialization;

/// <summary>
/// Saves a <see cref="Sequential"/> as safetensors: one tensor per parameter (named like "conv2d_1.weight") and per
/// buffer (BatchNorm's "bn_1.running_mean", "bn_1.running_var": saved state that is not trained), and in the
/// metadata the architecture (spec and input shape), the seed and the training settings, so that Load rebuilds the
/// same model and gives identical predictions.
/// </summary>
/// <remarks>
/// Loading trusts nothing in the file: the header is checked against the format's rules and the file's length
/// (<see cref="SafeTensorsHeader"/>), then the tensor table against the names and shapes the architecture needs
/// (<see cref="ModelPlan"/>) and the architecture against a memory budget, all before the model is built; then
/// each tensor is read straight into its parameter or buffer and refused if it holds NaN or an infinity (unless
/// <see cref="ModelLoadOptions.AllowNonFiniteWeights"/>), or a negative value where a variance belongs. Every refusal
/// is an <see cref="InvalidDataException"/> naming the file.
/// </remarks>
public static class ModelFile
{
    public const string FormatTag = "cnnnative-sequential/1";

    /// <summary>Writes the model atomically (<see cref="AtomicFile"/>), with <paramref name="extraMetadata"/> added to the metadata.</summary>
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
        var tensors = model.State.Select(t => new NamedTensor(t.Name, t.Value.Shape.ToArray(), t.Value.ToArray())).ToList();
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Rebuilds the model saved at <paramref name="path"/> on <paramref name="device"/> (not compiled).</summary>
    public static Sequential Load(string path, IDevice device, ILoggerFactory? loggerFactory = null)
        => Load(path, device, out _, loggerFactory);

    /// <summary>Rebuilds the model saved at <paramref name="path"/> and returns the file's metadata too.</summary>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, is not a CnnNative model, or does not match its architecture.</exception>
    public static Sequential Load(string path, IDevice device, out IReadOnlyDictionary<string, string> metadata, ILoggerFactory? loggerFactory = null,
                                  ModelLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        options ??= ModelLoadOptions.Default;
        using var file = SafeTensorsFile.Open(path);
        var meta = file.Header.Metadata;
        metadata = meta;
        if (!meta.TryGetValue("format", out var format) || format != FormatTag)
            throw new InvalidDataException($"Model file '{path}' was not written by CnnNative (format '{format ?? "missing"}', expected '{FormatTag}').");
        if (!meta.TryGetValue("spec", out var spec) || !meta.TryGetValue("input_shape", out var inputText))
            throw new InvalidDataException($"Model file '{path}' lacks the architecture (spec/input_shape metadata).");
        Shape input;
        try { input = new Shape(inputText.Split(',').Select(s => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray()); }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"Model file '{path}' has an invalid input_shape '{inputText}'.", e);
        }
        int seed = meta.TryGetValue("seed", out var s) && int.TryParse(s, CultureInfo.InvariantCulture, out int v) ? v : 0;

        Sequential model;
        try
        {
            var plan = ModelPlan.For(spec, input);
            if (plan.IsComplete) CheckTable(path, spec, file.Header, plan.Parameters.Concat(plan.Buffers).Select(p => (p.Name, p.Shape)));
            model = ModelBuilder.Build(spec, device, input, seed, loggerFactory, options.MemoryBudget);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidDataException($"Model file '{path}' describes an architecture that does not build: {e.Message}", e);
        }
        try
        {
            var tensors = model.Parameters.Select(p => (p.Name, p.Value, NonNegative: false))
                               .Concat(model.Buffers.Select(b => (b.Name, b.Value, b.NonNegative))).ToList();
            CheckTable(path, spec, file.Header, tensors.Select(t => (t.Name, t.Value.Shape.ToArray().Select(d => (long)d).ToArray())));
            var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(ModelFile));
            var values = new float[tensors.Select(t => t.Value.Length).DefaultIfEmpty(0).Max()];
            foreach (var (name, tensor, nonNegative) in tensors)
            {
                var span = values.AsSpan(0, tensor.Length);
                file.ReadF32(file.Header.Find(name)!, span);
                CheckFinite(path, name, span, options.AllowNonFiniteWeights, logger);
                if (nonNegative) CheckNonNegative(path, name, span);
                device.Upload(span, tensor.Buffer);
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The file holds exactly the F32 tensors <paramref name="needed"/> names, each of the shape given.</summary>
    private static void CheckTable(string path, string spec, SafeTensorsHeader header, IEnumerable<(string Name, long[] Shape)> needed)
    {
        var unused = header.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, shape) in needed)
        {
            var t = header.Find(name)
                ?? throw new InvalidDataException($"Model file '{path}' has no tensor '{name}' that its architecture ({spec}) needs.");
            if (!t.Shape.Select(d => (long)d).SequenceEqual(shape))
                throw new InvalidDataException($"Model file '{path}': tensor '{name}' has shape {t.ShapeText} but the architecture ({spec}) needs [{string.Join(",", shape)}].");
            if (t.DType != "F32")
                throw new InvalidDataException($"Model file '{path}': tensor '{name}' is {t.DType}; CnnNative models hold F32 tensors.");
            unused.Remove(name);
        }
        if (unused.Count > 0)
            throw new InvalidDataException($"Model file '{path}' holds tensors the architecture does not use: {string.Join(", ", unused)}.");
    }

    private static void CheckNonNegative(string path, string name, ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (values[i] < 0)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"Model file '{path}': tensor '{name}' holds {values[i]} at element {i}, but a variance cannot be negative."));
    }

    private static void CheckFinite(string path, string name, ReadOnlySpan<float> values, bool allow, ILogger logger)
    {
        int first = -1, count = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i])) continue;
            if (first < 0) first = i;
            count++;
        }
        if (first < 0) return;
        string what = string.Create(CultureInfo.InvariantCulture,
            $"Model file '{path}': tensor '{name}' holds {values[first]} at element {first} ({count} non-finite value{(count == 1 ? "" : "s")} in it)");
        if (!allow)
            throw new InvalidDataException($"{what}; a model with NaN or infinite weights predicts nothing (did its training diverge?). " +
                                           "To inspect it anyway, load it with ModelLoadOptions.AllowNonFiniteWeights (cnn: --allow-non-finite).");
        logger.LogWarning("{What}; loaded anyway, as asked", what);
    }
}
