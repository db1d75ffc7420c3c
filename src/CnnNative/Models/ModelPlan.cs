using System.Globalization;
using CnnNative.Layers;
using CnnNative.Tensors;

namespace CnnNative.Models;

/// <summary>
/// What building a model spec on an input shape would create, worked out without building it (nothing is
/// allocated): every parameter's name and shape and how much memory the model takes. It lets a model file's tensor
/// table, a spec and an --input shape be checked against the file and a memory budget before gigabytes are spent.
/// </summary>
/// <remarks>
/// Sizes are counted in 64 bits and saturate, so a spec whose sizes overflow still gets a plan (and is refused by
/// <see cref="CheckBudget"/>). A layer that does not fit its input ends the plan there (<see cref="IsComplete"/> is
/// false); building the model then reports that layer and why. The names follow <see cref="Training.Sequential.Add"/>:
/// the layer kind in lower case, numbered per kind from 1.
/// </remarks>
public sealed class ModelPlan
{
    /// <summary>The default memory budget for a model built from a spec: 2 GiB.</summary>
    public const long DefaultMemoryBudget = 2L << 30;

    private ModelPlan(string name, Shape input, List<PlannedParameter> parameters, List<PlannedParameter> buffers, long activations,
                      long largestActivation, bool complete)
        => (Name, InputShape, Parameters, Buffers, ActivationCount, _largestActivation, IsComplete) =
           (name, input, parameters, buffers, activations, largestActivation, complete);

    private readonly long _largestActivation;

    /// <summary>The name or spec the plan was made for, as given.</summary>
    public string Name { get; }

    /// <summary>The input shape of one sample.</summary>
    public Shape InputShape { get; }

    /// <summary>Every parameter, in the order the model creates them.</summary>
    public IReadOnlyList<PlannedParameter> Parameters { get; }

    /// <summary>Every buffer (saved, not trained: BatchNorm's running statistics), in the order the model creates them.</summary>
    public IReadOnlyList<PlannedParameter> Buffers { get; }

    /// <summary>Whether every layer fits its input; when false, the plan covers the layers before the first that does not.</summary>
    public bool IsComplete { get; }

    /// <summary>The number of trainable values.</summary>
    public long ParameterCount => Parameters.Aggregate(0L, (sum, p) => SaturatingAdd(sum, p.Count));

    /// <summary>The number of values in buffers.</summary>
    public long BufferCount => Buffers.Aggregate(0L, (sum, p) => SaturatingAdd(sum, p.Count));

    /// <summary>The values of one sample's input and of every layer's output for it (an inference pass at batch 1).</summary>
    public long ActivationCount { get; }

    /// <summary>
    /// Bytes the model takes on its device at batch 1: every parameter and its gradient, every buffer, the input and
    /// every layer's output (float32), saturating at <see cref="long.MaxValue"/>.
    /// </summary>
    public long Bytes => SaturatingMultiply(SaturatingAdd(SaturatingAdd(SaturatingMultiply(ParameterCount, 2), BufferCount), ActivationCount), sizeof(float));

    /// <summary>The plan for <paramref name="nameOrSpec"/> (a built-in name or a spec) on <paramref name="input"/>.</summary>
    /// <exception cref="FormatException">The spec does not parse.</exception>
    public static ModelPlan For(string nameOrSpec, Shape input)
    {
        var layers = ModelSpec.Parse(nameOrSpec);
        try { return For(nameOrSpec, layers, input); }
        finally { foreach (var l in layers) l.Dispose(); }
    }

    /// <summary>The plan for <paramref name="layers"/> (not yet built) on <paramref name="input"/>.</summary>
    /// <exception cref="NotSupportedException">A layer type the plan does not know (every type a spec makes is known).</exception>
    public static ModelPlan For(string name, IReadOnlyList<Layer> layers, Shape input)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var parameters = new List<PlannedParameter>();
        var buffers = new List<PlannedParameter>();
        var kinds = new Dictionary<string, int>();
        long[] shape = input.ToArray().Select(d => (long)d).ToArray();
        long activations = Product(shape), largest = activations;
        foreach (var layer in layers)
        {
            string kind = layer.NamePrefix;
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            string prefix = string.Create(CultureInfo.InvariantCulture, $"{kind}_{kinds[kind]}.");
            long[]? output = Output(layer, shape, prefix, parameters, buffers);
            if (output is null) return new ModelPlan(name, input, parameters, buffers, activations, largest, complete: false);
            shape = output;
            long size = Product(shape);
            activations = SaturatingAdd(activations, size);
            largest = Math.Max(largest, size);
        }
        return new ModelPlan(name, input, parameters, buffers, activations, largest, complete: true);
    }

    /// <summary>The output shape of <paramref name="layer"/> on <paramref name="input"/>, adding its parameters and buffers; null when it does not fit.</summary>
    private static long[]? Output(Layer layer, long[] input, string prefix, List<PlannedParameter> parameters, List<PlannedParameter> buffers)
    {
        switch (layer)
        {
            case Conv2d c when input.Length == 3:
                long p = Side(input[1], c.KernelH, c.StrideH, c.PadH), q = Side(input[2], c.KernelW, c.StrideW, c.PadW);
                if (p <= 0 || q <= 0) return null;
                parameters.Add(new(prefix + "weight", [c.Filters, input[0], c.KernelH, c.KernelW]));
                if (c.HasBias) parameters.Add(new(prefix + "bias", [c.Filters]));
                return [c.Filters, p, q];
            case Pool2d pool when input.Length == 3:
                long ph = Side(input[1], pool.SizeH, pool.StrideH, 0), pw = Side(input[2], pool.SizeW, pool.StrideW, 0);
                return ph <= 0 || pw <= 0 ? null : [input[0], ph, pw];
            case GlobalAvgPool2d when input.Length == 3:
                return [input[0]];
            case BatchNorm b when (input.Length == 3 && b is not BatchNorm1d) || (input.Length == 1 && b is not BatchNorm2d):
                foreach (var suffix in new[] { "weight", "bias" }) parameters.Add(new(prefix + suffix, [input[0]]));
                foreach (var suffix in new[] { "running_mean", "running_var" }) buffers.Add(new(prefix + suffix, [input[0]]));
                return input;
            case Conv2d or Pool2d or GlobalAvgPool2d or BatchNorm:
                return null;
            case Linear l:
                parameters.Add(new(prefix + "weight", [l.Units, Product(input)]));
                if (l.HasBias) parameters.Add(new(prefix + "bias", [l.Units]));
                return [l.Units];
            case Flatten:
                return [Product(input)];
            case Softmax:
                return input.Length == 1 ? input : null;
            case ActivationLayer or Dropout:
                return input;
            default:
                throw new NotSupportedException($"ModelPlan does not know layer type {layer.GetType().Name}; add it to ModelPlan.Output.");
        }
    }

    /// <summary>
    /// Throws unless the model fits <paramref name="budgetBytes"/> (see <see cref="Bytes"/>) and each of its tensors
    /// fits one device buffer (at most <see cref="int.MaxValue"/> values).
    /// </summary>
    /// <exception cref="ArgumentException">The model is too large; the message gives the sizes and the budget.</exception>
    public void CheckBudget(long budgetBytes = DefaultMemoryBudget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        string what = Bytes == long.MaxValue
            ? $"Model '{Name}' on input {InputShape} needs more memory than 64 bits can count"
            : string.Create(CultureInfo.InvariantCulture,
                $"Model '{Name}' on input {InputShape} needs {FormatBytes(Bytes)} ({ParameterCount:N0} parameters and their gradients, {ActivationCount:N0} activation values for one sample)");
        if (Bytes > budgetBytes)
            throw new ArgumentException($"{what}, more than the memory budget of {FormatBytes(budgetBytes)}. Check the spec and the input shape.");
        var huge = Parameters.FirstOrDefault(p => p.Count > int.MaxValue);
        if (huge is not null)
            throw new ArgumentException($"{what}; its parameter {huge.Name} {huge.ShapeText} has more values than one tensor holds ({int.MaxValue:N0}).");
        if (_largestActivation > int.MaxValue)
            throw new ArgumentException($"{what}; one layer's output for one sample has more values than one tensor holds ({int.MaxValue:N0}).");
    }

    /// <summary>"2.0 GiB", "512.0 MiB", "300 bytes".</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes"),
    };

    // floor((size − kernel + 2·pad) / stride) + 1 in 64 bits; 0 when the kernel does not fit.
    private static long Side(long size, long kernel, long stride, long pad)
    {
        long span = size - kernel + 2 * pad;
        return span < 0 ? 0 : span / stride + 1;
    }

    internal static long Product(long[] dims) => dims.Aggregate(1L, SaturatingMultiply);

    private static long SaturatingMultiply(long a, long b) => a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;

    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}
