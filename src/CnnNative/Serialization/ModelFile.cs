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
    /// <summary>The "format" metadata value that marks a CnnNative model file.</summary>
    public const string FormatTag = "cnnnative-sequential/1";

    /// <summary>
    /// Writes the model atomically (<see cref="AtomicFile"/>), with <paramref name="extraMetadata"/> added to the
    /// metadata; the folder is created when missing.
    /// </summary>
    /// <exception cref="IOException">The path may not be replaced (<see cref="OutputPath"/>) or the write failed.</exception>
    public static void Save(Sequential model, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (tensors, metadata) = Contents(model, extraMetadata);
        if (System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Writes the model's safetensors bytes to <paramref name="stream"/> (which stays open).</summary>
    public static void Save(Sequential model, Stream stream, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        var (tensors, metadata) = Contents(model, extraMetadata);
        SafeTensors.Write(stream, tensors, metadata);
    }

    private static (List<NamedTensor>, Dictionary<string, string>) Contents(Sequential model, IReadOnlyDictionary<string, string>? extraMetadata)
    {
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
        return (tensors, metadata);
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
        using var file = SafeTensorsFile.Open(path);
        return Load(file, device, out metadata, loggerFactory, options);
    }

    /// <summary>
    /// Rebuilds the model whose bytes <paramref name="stream"/> holds from its position on (what
    /// <see cref="Save(Sequential, Stream, IReadOnlyDictionary{string, string}?)"/> wrote), checked as a file is.
    /// </summary>
    /// <param name="stream">The model's bytes; it stays open.</param>
    /// <param name="device">Where the model runs.</param>
    /// <param name="name">What messages call the stream.</param>
    /// <param name="loggerFactory">Logs of the model built.</param>
    /// <param name="options">Memory budget and whether non-finite weights load.</param>
    /// <exception cref="InvalidDataException">The bytes are damaged, are not a CnnNative model, or do not match its architecture.</exception>
    public static Sequential Load(Stream stream, IDevice device, string name = "(stream)", ILoggerFactory? loggerFactory = null, ModelLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        using var file = SafeTensorsFile.Open(stream, name);
        return Load(file, device, out _, loggerFactory, options);
    }

    /// <summary>
    /// Reads the weights saved at <paramref name="path"/> into <paramref name="model"/>, as PyTorch's load_state_dict
    /// (strict): the file must hold exactly the model's parameters and buffers, by name, each of the model's shape.
    /// Any safetensors file of F32 tensors named so will do; the architecture in its metadata is not read.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor is missing, extra, of another shape, not F32, or non-finite; nothing is changed then.</exception>
    public static void LoadWeights(Sequential model, string path, ModelLoadOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var file = SafeTensorsFile.Open(path);
        LoadWeights(model, file, options, loggerFactory);
    }

    /// <summary>Reads the weights <paramref name="stream"/> holds into <paramref name="model"/> (see <see cref="LoadWeights(Sequential, string, ModelLoadOptions?, ILoggerFactory?)"/>).</summary>
    public static void LoadWeights(Sequential model, Stream stream, string name = "(stream)", ModelLoadOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var file = SafeTensorsFile.Open(stream, name);
        LoadWeights(model, file, options, loggerFactory);
    }

    private static void LoadWeights(Sequential model, SafeTensorsFile file, ModelLoadOptions? options, ILoggerFactory? loggerFactory)
    {
        var tensors = Targets(model);
        CheckTable(file.Path, model.Spec, file.Header, tensors.Select(t => (t.Name, t.Value.Shape.ToArray().Select(d => (long)d).ToArray())));
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(ModelFile));
        // Every tensor is read and checked before the first is uploaded, so a bad file changes nothing.
        var values = tensors.Select(t =>
        {
            var v = new float[t.Value.Length];
            Read(file, t.Name, t.NonNegative, v, options ?? ModelLoadOptions.Default, logger);
            return v;
        }).ToList();
        model.ReplaceWeights(() =>
        {
            for (int i = 0; i < tensors.Count; i++) model.Device.Upload(values[i], tensors[i].Value.Buffer);
        });
    }

    private static List<(string Name, Tensor Value, bool NonNegative)> Targets(Sequential model)
        => model.Parameters.Select(p => (p.Name, p.Value, NonNegative: false))
                .Concat(model.Buffers.Select(b => (b.Name, b.Value, b.NonNegative))).ToList();

    private static void Read(SafeTensorsFile file, string name, bool nonNegative, Span<float> values, ModelLoadOptions options, ILogger logger)
    {
        file.ReadF32(file.Header.Find(name)!, values);
        CheckFinite(file.Path, name, values, options.AllowNonFiniteWeights, logger);
        if (nonNegative) CheckNonNegative(file.Path, name, values);
    }

    private static Sequential Load(SafeTensorsFile file, IDevice device, out IReadOnlyDictionary<string, string> metadata, ILoggerFactory? loggerFactory,
                                   ModelLoadOptions? options)
    {
        options ??= ModelLoadOptions.Default;
        string path = file.Path;
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
            var tensors = Targets(model);
            CheckTable(path, spec, file.Header, tensors.Select(t => (t.Name, t.Value.Shape.ToArray().Select(d => (long)d).ToArray())));
            var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(ModelFile));
            var values = new float[tensors.Select(t => t.Value.Length).DefaultIfEmpty(0).Max()];
            foreach (var (name, tensor, nonNegative) in tensors)
            {
                var span = values.AsSpan(0, tensor.Length);
                Read(file, name, nonNegative, span, options, logger);
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
