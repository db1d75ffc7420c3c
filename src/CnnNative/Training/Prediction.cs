namespace CnnNative.Training;

/// <summary>
/// What <see cref="Sequential.Classify(ReadOnlySpan{float}, int, CancellationToken)"/> returns: the model's outputs
/// for each sample (probabilities when it ends in Softmax) and the class each one picks.
/// </summary>
public sealed class Prediction
{
    private int[]? _classes;

    internal Prediction(float[] probabilities, int count)
    {
        (Probabilities, Count, Outputs) = (probabilities, count, probabilities.Length / count);
    }

    /// <summary>How many samples were predicted.</summary>
    public int Count { get; }

    /// <summary>Outputs per sample (the number of classes for a classifier).</summary>
    public int Outputs { get; }

    /// <summary>Every output, sample by sample: <see cref="Count"/> × <see cref="Outputs"/> values.</summary>
    public float[] Probabilities { get; }

    /// <summary>Sample <paramref name="index"/>'s outputs.</summary>
    public ReadOnlySpan<float> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return Probabilities.AsSpan(index * Outputs, Outputs);
        }
    }

    /// <summary>Each sample's class: the index of its largest output (the first one on a tie).</summary>
    public IReadOnlyList<int> Classes => _classes ??= ArgMaxes();

    private int[] ArgMaxes()
    {
        var classes = new int[Count];
        for (int i = 0; i < Count; i++) classes[i] = ArgMax(this[i]);
        return classes;
    }

    /// <summary>The index of the largest value of <paramref name="row"/> (the first on a tie).</summary>
    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }
}
