using CnnNative.Data;

namespace CnnNative.Tests.Data;

/// <summary>Reading the first N items of an IDX file, and memory that follows what a file holds rather than what it claims.</summary>
public class IdxLimitTests
{
    private TempFolder _temp = null!;

    [SetUp] public void CreateFolder() => _temp = new TempFolder();
    [TearDown] public void DeleteFolder() => _temp.Dispose();

    private static readonly bool[] PlainAndGzip = [false, true];

    [TestCaseSource(nameof(PlainAndGzip))]
    public void ALimitReadsTheFirstImagesOnly(bool gzip)
    {
        string path = IdxFiles.WriteImages(_temp.File("images"), count: 5, rows: 3, cols: 2, gzip);

        var images = IdxReader.ReadImages(path, limit: 2);

        Assert.That((images.Count, images.DeclaredCount), Is.EqualTo((2, 5)));
        Assert.That(images.Pixels, Is.EqualTo(IdxFiles.Pixels(5, 3, 2)[..12]));
        Assert.That(IdxReader.ReadImages(path, limit: 50).Count, Is.EqualTo(5));
    }

    [Test]
    public void ALimitedPlainFileIsStillCheckedWhole()
    {
        var content = IdxFiles.Build(0x803, [5, 3, 2], IdxFiles.Pixels(5, 3, 2));
        string path = IdxFiles.Write(_temp.File("images"), content[..^1], gzip: false);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path, limit: 1));
        Assert.That(ex!.Message, Does.Contain("truncated"));
    }

    [Test]
    public void AGzipThatClaimsFarMoreThanItHoldsCostsOnlyWhatItHolds()
    {
        // The header claims 100,000 images of 28x28 (78 MB); three follow.
        string path = IdxFiles.Write(_temp.File("images.gz"), IdxFiles.Build(0x803, [100_000, 28, 28], IdxFiles.Pixels(3, 28, 28)), gzip: true);

        long before = GC.GetTotalAllocatedBytes(precise: true);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.That(ex!.Message, Does.Contain("header says 100000 images of 28x28 = 78400000 bytes but only 2352 bytes follow"));
        Assert.That(allocated, Is.LessThan(4 << 20));
    }

    [TestCaseSource(nameof(PlainAndGzip))]
    public void LoadIdxWithALimitTakesTheFirstImagesAndLabels(bool gzip)
    {
        string images = IdxFiles.WriteImages(_temp.File("images"), 6, 2, 2, gzip);
        string labels = IdxFiles.WriteLabels(_temp.File("labels"), [5, 4, 3, 2, 1, 0], gzip);

        var data = Dataset.LoadIdx(images, labels, limit: 4);

        Assert.That(data.Count, Is.EqualTo(4));
        Assert.That(data.Labels.ToArray(), Is.EqualTo(new[] { 5, 4, 3, 2 }));
        Assert.That(data.Images.ToArray(), Is.EqualTo(IdxFiles.Pixels(6, 2, 2)[..16].Select(b => b / 255f).ToArray()));
    }

    [Test]
    public void FilesOfDifferentCountsDisagreeEvenWithALimit()
    {
        string images = IdxFiles.WriteImages(_temp.File("images"), 6, 2, 2);
        string labels = IdxFiles.WriteLabels(_temp.File("labels"), [1, 2, 3, 4, 5]);
        var ex = Assert.Throws<InvalidDataException>(() => Dataset.LoadIdx(images, labels, limit: 2));
        Assert.That(ex!.Message, Does.Contain("5 labels but").And.Contain("6 images"));
    }

    [TestCase(new byte[] { 0, 0, 8, 3 }, true)]
    [TestCase(new byte[] { 0, 0, 8, 1 }, true)]
    [TestCase(new byte[] { 0, 0, 0x0D, 3 }, true)]
    [TestCase(new byte[] { 0, 0, 0x0E, 4 }, true)]
    [TestCase(new byte[] { 0, 0, 0x0A, 3 }, false)]
    [TestCase(new byte[] { 0, 0, 8, 0 }, false)]
    [TestCase(new byte[] { 0, 0, 8, 5 }, false)]
    [TestCase(new byte[] { 0, 1, 8, 3 }, false)]
    [TestCase(new byte[] { 0, 0, 8 }, false)]
    public void IdxFilesAreRecognisedByTheirMagic(byte[] head, bool idx) => Assert.That(IdxReader.LooksLikeIdx(head), Is.EqualTo(idx));
}
