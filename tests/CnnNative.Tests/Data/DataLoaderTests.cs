using CnnNative.Data;
using CnnNative.Tensors;

namespace CnnNative.Tests.Data;

public class DataLoaderTests
{
    /// <summary>n samples of (1,2,3); every value of sample i is i·10 + position, and label i mod classes.</summary>
    private static Dataset Numbered(int n, int classes = 4)
    {
        var images = new float[n * 6];
        for (int i = 0; i < images.Length; i++) images[i] = i / 6 * 10 + i % 6;
        var labels = Enumerable.Range(0, n).Select(i => i % classes).ToArray();
        return Dataset.FromArrays(images, new Shape(1, 2, 3), labels, classes);
    }

    /// <summary>The original row of each sample in an epoch, recovered from the image values.</summary>
    private static List<int> Rows(DataLoader loader, int epoch)
    {
        var rows = new List<int>();
        foreach (var batch in loader.Epoch(epoch))
            for (int b = 0; b < batch.Count; b++)
                rows.Add((int)batch.Images[b * 6] / 10);
        return rows;
    }

    private static IEnumerable<TestCaseData> Sizes()
    {
        yield return new TestCaseData(10, 3, true).SetName("10 in 3s, shuffled");
        yield return new TestCaseData(10, 5, true).SetName("10 in 5s, shuffled");
        yield return new TestCaseData(7, 7, true).SetName("7 in one batch");
        yield return new TestCaseData(7, 100, true).SetName("batch larger than the data");
        yield return new TestCaseData(10, 3, false).SetName("10 in 3s, unshuffled");
    }

    [TestCaseSource(nameof(Sizes))]
    public void EveryIndexExactlyOncePerEpoch(int n, int batchSize, bool shuffle)
    {
        var loader = new DataLoader(Numbered(n), batchSize, shuffle, seed: 1);
        for (int epoch = 0; epoch < 3; epoch++)
            Assert.That(Rows(loader, epoch), Is.EquivalentTo(Enumerable.Range(0, n)), $"epoch {epoch}");
    }

    [Test]
    public void OrderChangesEveryEpochAndRepeatsForTheSameSeed()
    {
        var data = Numbered(50);
        var a = new DataLoader(data, 8, seed: 42);
        var b = new DataLoader(data, 8, seed: 42);
        var c = new DataLoader(data, 8, seed: 43);

        var a0 = Rows(a, 0);
        var a1 = Rows(a, 1);
        Assert.That(a1, Is.Not.EqualTo(a0), "re-shuffled each epoch");
        Assert.That(a0, Is.Not.EqualTo(Enumerable.Range(0, 50)), "shuffled at all");
        // b asks for the epochs in another order: the order depends only on (seed, epoch).
        Assert.That(Rows(b, 1), Is.EqualTo(a1));
        Assert.That(Rows(b, 0), Is.EqualTo(a0));
        Assert.That(Rows(c, 0), Is.Not.EqualTo(a0), "another seed, another order");
        Assert.That(a.Order(0).ToArray(), Is.EqualTo(a0));
    }

    [Test]
    public void WithoutShuffleTheOrderIsTheDatasetOrder()
    {
        var loader = new DataLoader(Numbered(9), 4, shuffle: false);
        Assert.That(Rows(loader, 5), Is.EqualTo(Enumerable.Range(0, 9)));
    }

    [TestCase(10, 3, false, 4, 1)]
    [TestCase(10, 3, true, 3, 3)]
    [TestCase(12, 4, false, 3, 4)]
    [TestCase(12, 4, true, 3, 4)]
    public void LastPartialBatch(int n, int batchSize, bool dropLast, int batches, int lastCount)
    {
        var loader = new DataLoader(Numbered(n), batchSize, seed: 3, dropLast: dropLast);
        Assert.That(loader.BatchCount, Is.EqualTo(batches));

        var counts = new List<int>();
        foreach (var batch in loader.Epoch(0))
        {
            counts.Add(batch.Count);
            Assert.That(batch.Images.Length, Is.EqualTo(batch.Count * 6));
            Assert.That(batch.OneHotTargets.Length, Is.EqualTo(batch.Count * 4));
            Assert.That(batch.Shape, Is.EqualTo(new Shape(batch.Count, 1, 2, 3)));
        }
        Assert.That(counts.Count, Is.EqualTo(batches));
        Assert.That(counts[^1], Is.EqualTo(lastCount));
        Assert.That(counts.Take(batches - 1), Is.All.EqualTo(batchSize));
        Assert.That(loader.SampleCount, Is.EqualTo(counts.Sum()));
    }

    [Test]
    public void BatchesMatchTheDatasetRowsAndOneHotTargetsMatchLabels()
    {
        var data = Numbered(23, classes: 5);
        var loader = new DataLoader(data, 6, seed: 7);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var order = loader.Order(epoch).ToArray();
            foreach (var batch in loader.Epoch(epoch))
            {
                for (int b = 0; b < batch.Count; b++)
                {
                    int row = order[batch.Index * 6 + b];
                    Assert.That(batch.Images.Slice(b * 6, 6).ToArray(), Is.EqualTo(data.Image(row).ToArray()));
                    Assert.That(batch.Labels[b], Is.EqualTo(data.Label(row)));
                    var target = batch.OneHotTargets.Slice(b * 5, 5).ToArray();
                    Assert.That(target.Sum(), Is.EqualTo(1f));
                    Assert.That(target[batch.Labels[b]], Is.EqualTo(1f));
                }
            }
        }
    }

    [Test]
    public void GetBatchGivesRandomAccessToTheSameBatches()
    {
        var loader = new DataLoader(Numbered(20), 6, seed: 11);
        var viaForeach = Rows(loader, 2);
        var viaGet = new List<int>();
        for (int i = 0; i < loader.BatchCount; i++)
        {
            var batch = loader.GetBatch(2, i);
            for (int b = 0; b < batch.Count; b++) viaGet.Add((int)batch.Images[b * 6] / 10);
        }
        Assert.That(viaGet, Is.EqualTo(viaForeach));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.GetBatch(0, loader.BatchCount));
    }

    /// <summary>A batch filled in pieces (as data-parallel shards fill theirs, each on its own thread) is GetBatch's.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public void CopyRowsFillsABatchInPiecesAsGetBatchDoes(bool augment)
    {
        var data = Numbered(40);
        var a = new DataLoader(data, 16, seed: 7, augmentation: augment ? new Augmentation(1, flip: true) : null);
        var b = new DataLoader(data, 16, seed: 7, augmentation: augment ? new Augmentation(1, flip: true) : null);
        for (int index = 0; index < a.BatchCount; index++) // 16, 16 and a last batch of 8
        {
            var whole = a.GetBatch(3, index);
            int n = b.RowsIn(index);
            Assert.That(n, Is.EqualTo(whole.Count));
            var images = new float[n * 6];
            var targets = new float[n * 4];
            var labels = new int[n];
            foreach (var (from, count) in new[] { (0, n / 2 - 1), (n / 2 - 1, n - n / 2 + 1) })
                b.CopyRows(3, index, from, count, images.AsSpan(from * 6), targets.AsSpan(from * 4), labels.AsSpan(from));
            Assert.That(images, Is.EqualTo(whole.Images.ToArray()));
            Assert.That(targets, Is.EqualTo(whole.OneHotTargets.ToArray()));
            Assert.That(labels, Is.EqualTo(whole.Labels.ToArray()));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => b.CopyRows(3, 2, 4, 5, new float[30], new float[20]));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.RowsIn(3));
    }

    [Test]
    public void SteadyStateAllocatesNothingPerBatch()
    {
        var loader = new DataLoader(Numbered(200), 16, seed: 5);
        Rows(loader, 0); // warm up: JIT and the first epoch's order
        foreach (var _ in loader.Epoch(0)) { }

        long before = GC.GetAllocatedBytesForCurrentThread();
        float sum = 0;
        foreach (var batch in loader.Epoch(0)) sum += batch.Images[0] + batch.OneHotTargets[0];
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero, $"an epoch of {loader.BatchCount} batches allocated {allocated} bytes");
        Assert.That(sum, Is.GreaterThan(0));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbered(5), 0));
        Assert.Throws<ArgumentException>(() => new DataLoader(Numbered(5), 6, dropLast: true));
    }
}
