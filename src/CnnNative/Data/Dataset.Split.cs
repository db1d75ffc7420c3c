using System.Globalization;

namespace CnnNative.Data;

public sealed partial class Dataset
{
    /// <summary>
    /// Splits off a seeded random <paramref name="fraction"/> of the images as a validation set (Keras'
    /// <c>validation_split</c>, but drawn at random: data sorted by class would otherwise validate on one class).
    /// Both parts keep the original order among themselves, and the same seed always gives the same split.
    /// </summary>
    /// <remarks>Both parts are copies (a split cannot be a contiguous view); the originals are left alone.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not in (0, 1) or leaves a part empty.</exception>
    public (Dataset Train, Dataset Validation) SplitValidation(double fraction, int seed)
    {
        if (!(fraction > 0 && fraction < 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), $"The validation fraction must be between 0 and 1 (exclusive), got {fraction}.");
        int validationCount = (int)Math.Round(Count * fraction);
        if (validationCount < 1 || validationCount >= Count)
            throw new ArgumentOutOfRangeException(nameof(fraction),
                $"A validation fraction of {fraction} of the {Count} images of {Source} leaves {validationCount} for validation and {Count - validationCount} for training; both need at least one.");

        // A partial Fisher–Yates shuffle picks the validation rows; a distinct seed mix keeps them unrelated to
        // the loader's epoch orders, which are drawn from the same seed.
        var order = new int[Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var random = new Random(unchecked(seed * -1640531535 + 0x5A17));
        for (int i = 0; i < validationCount; i++)
        {
            int j = i + random.Next(Count - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var validationRows = order.AsSpan(0, validationCount);
        var trainRows = order.AsSpan(validationCount);
        validationRows.Sort();
        trainRows.Sort();
        string percent = (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture);
        return (Gather(trainRows, $"{Source} less a {percent} % validation split"),
                Gather(validationRows, $"a {percent} % validation split of {Source}"));
    }

    /// <summary>A new data set holding copies of <paramref name="rows"/>, in that order.</summary>
    private Dataset Gather(ReadOnlySpan<int> rows, string source)
    {
        int sample = SampleSize;
        var images = new float[rows.Length * sample];
        var labels = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            Image(rows[i]).CopyTo(images.AsSpan(i * sample, sample));
            labels[i] = Label(rows[i]);
        }
        return new Dataset(images, labels, 0, rows.Length, InputShape, ClassCount, _classNames, source);
    }
}
