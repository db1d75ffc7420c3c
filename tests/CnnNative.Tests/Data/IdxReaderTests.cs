using CnnNative.Data;

namespace CnnNative.Tests.Data;

public class IdxReaderTests
{
    private TempFolder _temp = null!;

    [SetUp] public void CreateFolder() => _temp = new TempFolder();
    [TearDown] public void DeleteFolder() => _temp.Dispose();

    private static readonly bool[] PlainAndGzip = [false, true];

    [TestCaseSource(nameof(PlainAndGzip))]
    public void ImagesRoundTrip(bool gzip)
    {
        // The file name says nothing about compression: detection must come from the content.
        string path = IdxFiles.WriteImages(_temp.File("images.idx"), count: 3, rows: 4, cols: 5, gzip);

        var images = IdxReader.ReadImages(path);

        Assert.That((images.Count, images.Rows, images.Columns), Is.EqualTo((3, 4, 5)));
        Assert.That(images.Pixels, Is.EqualTo(IdxFiles.Pixels(3, 4, 5)));
        Assert.That(images.Image(2).ToArray(), Is.EqualTo(IdxFiles.Pixels(3, 4, 5)[40..60]));
        Assert.That(images.Path, Is.EqualTo(path));
    }

    [TestCaseSource(nameof(PlainAndGzip))]
    public void LabelsRoundTrip(bool gzip)
    {
        byte[] labels = [0, 9, 3, 3, 7];
        string path = IdxFiles.WriteLabels(_temp.File(gzip ? "labels.gz" : "labels"), labels, gzip);

        Assert.That(IdxReader.ReadLabels(path), Is.EqualTo(labels));
    }

    /// <summary>A malformed images file, and words its message must contain besides the path.</summary>
    public sealed record Broken(string Name, byte[] Content, string[] Expected)
    {
        public override string ToString() => Name;
    }

    private static IEnumerable<Broken> BrokenImageFiles()
    {
        var good = IdxFiles.Build(0x803, [2, 3, 3], IdxFiles.Pixels(2, 3, 3));
        yield return new("labels magic", IdxFiles.Build(0x801, [18], IdxFiles.Pixels(2, 3, 3)),
            ["expected magic 0x00000803 (idx3 images), found 0x00000801", "labels"]);
        yield return new("not idx at all", "hello world, this is text"u8.ToArray(), ["expected magic 0x00000803", "not an IDX file"]);
        yield return new("float elements", IdxFiles.Build(0x0D03, [2, 3, 3], new byte[72]), ["found 0x00000D03", "element type 0x0D"]);
        yield return new("two dimensions", IdxFiles.Build(0x802, [2, 9], new byte[18]), ["found 0x00000802", "2 dimensions"]);
        yield return new("empty file", [], ["ends after 0 bytes", "16-byte idx3 images header"]);
        yield return new("truncated header", good[..10], ["ends after 10 bytes", "header"]);
        yield return new("truncated data", good[..20], ["header says 2 images of 3x3 = 18 bytes but only 4 bytes follow", "truncated"]);
        yield return new("trailing bytes", [.. good, 1, 2, 3], ["header says 2 images of 3x3 = 18 bytes but 21 bytes follow", "3 trailing bytes"]);
        yield return new("zero dimension", IdxFiles.Build(0x803, [2, 0, 3], []), ["dimension 1", "is 0", "must be"]);
        yield return new("zero count", IdxFiles.Build(0x803, [0, 3, 3], []), ["dimension 0", "is 0"]);
        yield return new("negative dimension", IdxFiles.Build(0x803, [2, -1, 3], []), ["dimension 1", "4294967295"]);
    }

    [TestCaseSource(nameof(BrokenImageFiles))]
    public void MalformedPlainFileIsRejectedNamingFileAndProblem(Broken broken)
        => AssertRejected(IdxFiles.Write(_temp.File("train-images-idx3-ubyte"), broken.Content, gzip: false), broken.Expected);

    [TestCaseSource(nameof(BrokenImageFiles))]
    public void MalformedGzippedFileIsRejectedNamingFileAndProblem(Broken broken)
        // Inside gzip the length is only known by reading; the checks and their words must be the same.
        => AssertRejected(IdxFiles.Write(_temp.File("train-images-idx3-ubyte.gz"), broken.Content, gzip: true), broken.Expected);

    [Test]
    public void CorruptGzipIsRejectedNamingTheFile()
    {
        var gz = IdxFiles.Gzip(IdxFiles.Build(0x803, [4, 8, 8], IdxFiles.Pixels(4, 8, 8)));
        for (int i = 10; i < gz.Length - 8; i++) gz[i] ^= 0x5A; // scramble the deflate data, keep the gzip header
        string path = IdxFiles.Write(_temp.File("images.gz"), gz, gzip: false);

        var ex = AssertRejected(path, ["gzip"]);
        Assert.That(ex.InnerException, Is.Not.Null, "the decompressor's own exception is kept as the cause");
    }

    [Test]
    public void TruncatedGzipIsRejectedNamingTheFile()
    {
        var gz = IdxFiles.Gzip(IdxFiles.Build(0x803, [50, 8, 8], IdxFiles.Pixels(50, 8, 8)));
        string path = IdxFiles.Write(_temp.File("images.gz"), gz[..(gz.Length / 2)], gzip: false);

        Assert.That(() => IdxReader.ReadImages(path),
            Throws.TypeOf<InvalidDataException>().With.Message.StartsWith(path + ": "));
    }

    [Test]
    public void LabelsFileGivenAsImagesSaysSo()
    {
        string path = IdxFiles.WriteImages(_temp.File("t10k-images-idx3-ubyte"), 2, 2, 2);
        AssertRejected(path, ["expected magic 0x00000801 (idx1 labels), found 0x00000803", "images file"], labels: true);
    }

    [Test]
    public void LabelsTruncationIsReported()
    {
        var content = IdxFiles.Build(0x801, [10], [1, 2, 3]);
        string path = IdxFiles.Write(_temp.File("labels"), content, gzip: false);
        AssertRejected(path, ["header says 10 labels = 10 bytes but only 3 bytes follow"], labels: true);
    }

    [Test]
    public void MissingFileIsFileNotFound()
        => Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(_temp.File("nothing-here")));

    private static InvalidDataException AssertRejected(string path, string[] expected, bool labels = false)
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
        {
            if (labels) IdxReader.ReadLabels(path); else IdxReader.ReadImages(path);
        })!;
        Assert.That(ex.Message, Does.StartWith(path + ": "));
        foreach (var words in expected) Assert.That(ex.Message, Does.Contain(words));
        Assert.That(ex.Data[DataFormat.PathKey], Is.EqualTo(path));
        return ex;
    }
}
