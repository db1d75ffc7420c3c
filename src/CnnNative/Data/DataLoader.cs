namespace CnnNative.Data;

/// <summary>
/// Cuts a <see cref="Dataset"/> into mini-batches, optionally in a shuffled order that changes every epoch.
/// </summary>
/// <remarks>
/// <para>Usage: <c>foreach (var batch in loader.Epoch(epoch)) { ... batch.Images ... }</c>, or random access with
/// <see cref="GetBatch"/>(epoch, index) for 0 ≤ index &lt; <see cref="BatchCount"/>.</para>
/// <para>The order of epoch e is a Fisher–Yates shuffle of 0..Count−1 drawn with <see cref="System.Random"/>
/// seeded from (Seed, e), so it depends only on the seed and the epoch number: the same seed gives the same
/// order in every run, whatever was asked before, and a resumed training run sees the orders it would have seen.</para>
/// <para>With an <see cref="Data.Augmentation"/>, every image is shifted and flipped as it is copied into its batch,
/// by a hash of (Seed, epoch, image index): the same in every run, whatever the batch size.</para>
/// <para>Batches are written into buffers the loader owns and reuses: every <see cref="Batch"/>'s spans are valid
/// only until the next batch is filled. No memory is allocated per batch; one small <see cref="System.Random"/>
/// is made when a new epoch's order is drawn. A loader is not thread-safe.</para>
/// </remarks>
public sealed class DataLoader
{
    private readonly float[] _images;
    private readonly float[] _targets;
    private readonly int[] _labels;
    private readonly int[] _order;
    private int _orderEpoch = int.MinValue;

    /// <summary>A loader over <paramref name="dataset"/>; nothing is read or shuffled until a batch is asked for.</summary>
    /// <param name="dataset">The data to iterate.</param>
    /// <param name="batchSize">Images per batch (the last batch may hold fewer unless <paramref name="dropLast"/>).</param>
    /// <param name="shuffle">Draw a new random order every epoch; false keeps the data set's order.</param>
    /// <param name="seed">Seed of the shuffles.</param>
    /// <param name="dropLast">Leave out the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="augmentation">Random shifts and flips of every image (training data only), or null for none.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="dropLast"/> with a batch larger than the data set, or an
    /// augmentation that does not fit the images.</exception>
    public DataLoader(Dataset dataset, int batchSize, bool shuffle = true, int seed = 0, bool dropLast = false,
                      Augmentation? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (dropLast && batchSize > dataset.Count)
            throw new ArgumentException($"With dropLast, batch size {batchSize} larger than the {dataset.Count} images of {dataset.Source} leaves no batch.", nameof(batchSize));
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        augmentation?.CheckShape(dataset);
        Augmentation = augmentation;
        BatchCount = dropLast ? dataset.Count / batchSize : (dataset.Count + batchSize - 1) / batchSize;

        int capacity = Math.Min(batchSize, dataset.Count);
        _images = new float[capacity * dataset.SampleSize];
        _targets = new float[capacity * dataset.ClassCount];
        _labels = new int[capacity];
        _order = new int[dataset.Count];
    }

    /// <summary>The data the batches are cut from.</summary>
    public Dataset Dataset { get; }
    /// <summary>Images per batch; the last batch of an epoch may hold fewer unless <see cref="DropLast"/>.</summary>
    public int BatchSize { get; }
    /// <summary>Whether every epoch draws a new order (else the data set's own order).</summary>
    public bool Shuffle { get; }
    /// <summary>The seed of the shuffles and the augmentation.</summary>
    public int Seed { get; }
    /// <summary>Whether a last batch smaller than <see cref="BatchSize"/> is left out.</summary>
    public bool DropLast { get; }

    /// <summary>The shifts and flips applied to every image, or null.</summary>
    public Augmentation? Augmentation { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount { get; }

    /// <summary>Images per epoch (Count, less the dropped remainder with <see cref="DropLast"/>).</summary>
    public int SampleCount => DropLast ? BatchCount * BatchSize : Dataset.Count;

    /// <summary>The batches of epoch <paramref name="epoch"/>, in order, for <c>foreach</c> (allocation-free).</summary>
    public EpochBatches Epoch(int epoch) => new(this, epoch);

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the data set (valid until another epoch is asked for).</summary>
    public ReadOnlySpan<int> Order(int epoch)
    {
        if (epoch != _orderEpoch)
        {
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            if (Shuffle)
            {
                var random = new Random(EpochSeed(Seed, epoch));
                for (int i = _order.Length - 1; i > 0; i--)
                {
                    int j = random.Next(i + 1);
                    (_order[i], _order[j]) = (_order[j], _order[i]);
                }
            }
            _orderEpoch = epoch;
        }
        return _order;
    }

    /// <summary>Fills and returns batch <paramref name="index"/> of epoch <paramref name="epoch"/>; its spans are valid until the next call.</summary>
    public Batch GetBatch(int epoch, int index)
    {
        int n = RowsIn(index);
        int sample = Dataset.SampleSize, classes = Dataset.ClassCount;
        CopyRows(epoch, index, 0, n, _images.AsSpan(0, n * sample), _targets.AsSpan(0, n * classes), _labels.AsSpan(0, n));
        return new Batch(index, Dataset.InputShape, _images.AsSpan(0, n * sample), _targets.AsSpan(0, n * classes), _labels.AsSpan(0, n));
    }

    /// <summary>How many rows batch <paramref name="index"/> has (the last may be short).</summary>
    internal int RowsIn(int index)
    {
        if ((uint)index >= (uint)BatchCount)
            throw new ArgumentOutOfRangeException(nameof(index), $"Batch {index} is outside 0..{BatchCount - 1} ({Dataset.Count} images in batches of {BatchSize}).");
        return Math.Min(BatchSize, Dataset.Count - index * BatchSize);
    }

    /// <summary>
    /// Writes rows <paramref name="from"/> … <paramref name="from"/> + <paramref name="count"/> − 1 of batch
    /// <paramref name="index"/> of epoch <paramref name="epoch"/> (images, augmented where asked, one-hot targets
    /// and, where given room, labels) into spans of <paramref name="count"/> rows, as <see cref="GetBatch"/> lays
    /// them out. Threads may fill disjoint rows of a batch at once, each into its own spans, once
    /// <see cref="Order"/>(epoch) has run (it shuffles on its first call of an epoch).
    /// </summary>
    internal void CopyRows(int epoch, int index, int from, int count, Span<float> images, Span<float> oneHot, Span<int> labels = default)
    {
        int n = RowsIn(index);
        if (from < 0 || count < 0 || from + count > n)
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows {from}..{from + count - 1} are outside batch {index}'s {n}.");
        var order = Order(epoch);
        int first = index * BatchSize + from;
        int sample = Dataset.SampleSize, classes = Dataset.ClassCount;
        var source = Dataset.Images;
        var sourceLabels = Dataset.Labels;
        var targets = oneHot[..(count * classes)];
        targets.Clear();
        for (int b = 0; b < count; b++)
        {
            int row = order[first + b];
            var image = images.Slice(b * sample, sample);
            if (Augmentation is null) source.Slice(row * sample, sample).CopyTo(image);
            else
            {
                var shape = Dataset.InputShape;
                Augmentation.Apply(source.Slice(row * sample, sample), image, shape[0], shape[1], shape[2], Seed, epoch, row);
            }
            int label = sourceLabels[row];
            if (!labels.IsEmpty) labels[b] = label;
            targets[b * classes + label] = 1f;
        }
    }

    /// <summary>
    /// Mixes the seed and the epoch so that neighbouring seeds and epochs give unrelated streams
    /// (SplitMix64's finaliser; HashCode.Combine is randomised per process and would break reproducibility).
    /// </summary>
    private static int EpochSeed(int seed, int epoch)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)epoch) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }

    /// <summary>The batches of one epoch, enumerable with <c>foreach</c> without allocating.</summary>
    public readonly struct EpochBatches
    {
        private readonly DataLoader _loader;
        private readonly int _epoch;

        internal EpochBatches(DataLoader loader, int epoch)
        {
            _loader = loader;
            _epoch = epoch;
        }

        /// <summary>The enumerator <c>foreach</c> uses.</summary>
        public Enumerator GetEnumerator() => new(_loader, _epoch);

        /// <summary>Fills each batch when <see cref="MoveNext"/> reaches it.</summary>
        public ref struct Enumerator
        {
            private readonly DataLoader _loader;
            private readonly int _epoch;
            private int _index;
            private Batch _current;

            internal Enumerator(DataLoader loader, int epoch)
            {
                _loader = loader;
                _epoch = epoch;
                _index = -1;
            }

            /// <summary>The batch <see cref="MoveNext"/> filled last; valid until the next call.</summary>
            public readonly Batch Current => _current;

            /// <summary>Fills the next batch; false after the last.</summary>
            public bool MoveNext()
            {
                if (_index + 1 >= _loader.BatchCount) return false;
                _index++;
                _current = _loader.GetBatch(_epoch, _index);
                return true;
            }
        }
    }
}
