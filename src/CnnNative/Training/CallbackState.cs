namespace CnnNative.Training;

/// <summary>A callback's saved state in a checkpoint: named numbers and named float arrays (such as best weights).</summary>
public sealed class CallbackState
{
    /// <summary>Named numbers (infinities and NaN survive the round trip).</summary>
    public Dictionary<string, double> Values { get; } = [];

    /// <summary>Named arrays, stored as tensors in the checkpoint file.</summary>
    public Dictionary<string, float[]> Arrays { get; } = [];

    /// <summary>The number saved as <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">It was not saved (a checkpoint from another version or callback).</exception>
    public double Value(string name)
        => Values.TryGetValue(name, out double v) ? v
           : throw new InvalidDataException($"The checkpoint's callback state has no value '{name}'.");
}
