using CnnNative.Data;
using CnnNative.Tensors;

namespace CnnNative.Tests.Data;

public class AugmentationTests
{
    private const int Side = 6;

    /// <summary>n single-channel Side×Side images whose pixel (y, x) of image i is 1 + i·100 + y·10 + x (never 0).</summary>
    private static Dataset Coded(int n, int channels = 1)
    {
        var images = new float[n * channels * Side * Side];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < Side; y++)
                    for (int x = 0; x < Side; x++)
                        images[((i * channels + c) * Side + y) * Side + x] = 1 + i * 100 + c * 1000 + y * 10 + x;
        return Dataset.FromArrays(images, new Shape(channels, Side, Side), new int[n], 1);
    }

    /// <summary>The (dy, dx, flipped) that turned image <paramref name="i"/> into <paramref name="image"/>, read back from the codes.</summary>
    private static (int dy, int dx, bool flip) Decode(ReadOnlySpan<float> image, int i)
    {
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
            {
                float v = image[y * Side + x];
                if (v == 0) continue;
                int code = (int)v - 1 - i * 100, sy = code / 10, sx = code % 10;
                // Find a second lit pixel in the row to tell the direction.
                int x2 = x + 1 < Side && image[y * Side + x + 1] != 0 ? x + 1 : -1;
                bool flip = x2 >= 0 && (int)image[y * Side + x2] - 1 - i * 100 - sy * 10 < sx;
                return (sy - y, flip ? sx - (Side - 1 - x) : sx - x, flip);
            }
        throw new AssertionException("the whole image is zero");
    }

    [TestCase("crop,flip", 2, true, "crop2,flip")]
    [TestCase("CROP3", 3, false, "crop3")]
    [TestCase(" flip ", 0, true, "flip")]
    public void ParseReadsTheCliForm(string text, int crop, bool flip, string spec)
    {
        var a = Augmentation.Parse(text)!;
        Assert.That((a.CropPadding, a.Flip, a.Spec), Is.EqualTo((crop, flip, spec)));
        Assert.That(Augmentation.Parse(a.Spec)!.Spec, Is.EqualTo(spec));
    }

    [TestCase("none")]
    [TestCase("")]
    public void NoneIsNull(string text) => Assert.That(Augmentation.Parse(text), Is.Null);

    [TestCase("crop,crop", "repeated")]
    [TestCase("rotate", "rotate")]
    [TestCase("crop0", "positive")]
    [TestCase("cropx", "positive")]
    public void BadPartsAreNamed(string text, string named)
        => Assert.That(Assert.Throws<FormatException>(() => Augmentation.Parse(text))!.Message, Does.Contain(named));

    [Test]
    public void EveryImageIsItsOriginalShiftedByAtMostThePaddingWithZerosBrought()
    {
        var data = Coded(40);
        var loader = new DataLoader(data, 8, shuffle: true, seed: 3, augmentation: new Augmentation(cropPadding: 2, flip: true));
        var seen = new HashSet<(int, int, bool)>();
        foreach (var batch in loader.Epoch(0))
            for (int b = 0; b < batch.Count; b++)
            {
                var image = batch.Images.Slice(b * Side * Side, Side * Side);
                int i = (int)((image.ToArray().First(v => v != 0) - 1) / 100);
                var (dy, dx, flip) = Decode(image, i);
                Assert.That(Math.Abs(dy) <= 2 && Math.Abs(dx) <= 2, $"image {i} moved by ({dy}, {dx})");
                seen.Add((dy, dx, flip));
                // Every pixel is the source pixel it claims to be, or 0 where the source lies outside the image.
                for (int y = 0; y < Side; y++)
                    for (int x = 0; x < Side; x++)
                    {
                        int sy = y + dy, sx = (flip ? Side - 1 - x : x) + dx;
                        float expected = sy is >= 0 and < Side && sx is >= 0 and < Side ? 1 + i * 100 + sy * 10 + sx : 0;
                        Assert.That(image[y * Side + x], Is.EqualTo(expected), $"image {i} pixel ({y}, {x})");
                    }
            }
        Assert.That(seen.Count, Is.GreaterThan(15), "40 images draw many different shifts");
        Assert.That(seen.Any(s => s.Item3) && seen.Any(s => !s.Item3), Is.True, "some images are flipped, some not");
    }

    [Test]
    public void TheChangesDependOnSeedEpochAndImageOnlyNotOnTheBatchSize()
    {
        var data = Coded(30, channels: 2);
        float[] Epoch(int batchSize, int seed, int epoch)
        {
            var loader = new DataLoader(data, batchSize, shuffle: false, seed: seed, augmentation: new Augmentation());
            var all = new List<float>();
            foreach (var batch in loader.Epoch(epoch)) all.AddRange(batch.Images.ToArray());
            return [.. all];
        }
        Assert.That(Epoch(7, 1, 0), Is.EqualTo(Epoch(30, 1, 0)));
        Assert.That(Epoch(7, 1, 1), Is.Not.EqualTo(Epoch(7, 1, 0)));
        Assert.That(Epoch(7, 2, 0), Is.Not.EqualTo(Epoch(7, 1, 0)));
        // Both channels of an image move together.
        var one = Epoch(30, 1, 0).AsSpan(0, 2 * Side * Side);
        for (int p = 0; p < Side * Side; p++)
            Assert.That(one[p] == 0, Is.EqualTo(one[Side * Side + p] == 0));
    }

    [Test]
    public void AnAugmentedEpochAllocatesNothingPerBatch()
    {
        var data = Coded(64);
        var loader = new DataLoader(data, 4, shuffle: true, seed: 1, augmentation: new Augmentation());
        foreach (var _ in loader.Epoch(0)) { }
        _ = loader.Order(1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int n = 0;
        foreach (var batch in loader.Epoch(1)) n += batch.Count;
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(n, Is.EqualTo(64));
    }

    [Test]
    public void ImagesThatCannotBeShiftedAreRefused()
    {
        var flat = Dataset.FromArrays(new float[20], new Shape(10), new int[2], 1);
        Assert.That(Assert.Throws<ArgumentException>(() => new DataLoader(flat, 2, augmentation: new Augmentation()))!.Message,
                    Does.Contain("(channels, height, width)"));
        Assert.That(Assert.Throws<ArgumentException>(() => new DataLoader(Coded(2), 2, augmentation: new Augmentation(cropPadding: 6)))!.Message,
                    Does.Contain("6x6"));
        Assert.Throws<ArgumentException>(() => _ = new Augmentation(cropPadding: 0, flip: false));
    }
}
