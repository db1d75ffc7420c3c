using CnnNative.Data;
using CnnNative.Tensors;

namespace CnnNative.Tests.Data;

public class DatasetTests
{
    private TempFolder _temp = null!;

    [SetUp] public void CreateFolder() => _temp = new TempFolder();
    [TearDown] public void DeleteFolder() => _temp.Dispose();

    private static readonly bool[] PlainAndGzip = [false, true];

    [TestCaseSource(nameof(PlainAndGzip))]
    public void LoadIdxScalesPixelsAndKeepsLabels(bool gzip)
    {
        string images = IdxFiles.WriteImages(_temp.File("images"), 4, 3, 2, gzip);
        string labels = IdxFiles.WriteLabels(_temp.File("labels"), [1, 0, 9, 4], gzip);

        var data = Dataset.LoadIdx(images, labels);

        Assert.That(data.Count, Is.EqualTo(4));
        Assert.That(data.InputShape, Is.EqualTo(new Shape(1, 3, 2)));
        Assert.That(data.ClassCount, Is.EqualTo(10));
        Assert.That(data.Labels.ToArray(), Is.EqualTo(new[] { 1, 0, 9, 4 }));
        var expected = IdxFiles.Pixels(4, 3, 2).Select(b => b / 255f).ToArray();
        Assert.That(data.Images.ToArray(), Is.EqualTo(expected));
        Assert.That(data.Image(2).ToArray(), Is.EqualTo(expected[12..18]));
        Assert.That(data.ClassNames, Is.EqualTo(new[] { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" }));
    }

    [Test]
    public void PixelsCoverZeroToOne()
    {
        var pixels = new byte[] { 0, 255, 128, 1 };
        string images = IdxFiles.Write(_temp.File("i"), IdxFiles.Build(0x803, [1, 2, 2], pixels), gzip: false);
        string labels = IdxFiles.WriteLabels(_temp.File("l"), [0]);

        Assert.That(Dataset.LoadIdx(images, labels).Images.ToArray(), Is.EqualTo(new[] { 0f, 1f, 128 / 255f, 1 / 255f }));
    }

    [Test]
    public void CountMismatchNamesBothFilesAndCounts()
    {
        string images = IdxFiles.WriteImages(_temp.File("imgs"), 5, 2, 2);
        string labels = IdxFiles.WriteLabels(_temp.File("lbls"), [1, 2, 3]);

        var ex = Assert.Throws<InvalidDataException>(() => Dataset.LoadIdx(images, labels))!;
        Assert.That(ex.Message, Does.Contain(images).And.Contain(labels).And.Contain("3 labels").And.Contain("5 images"));
    }

    [Test]
    public void LabelOutOfRangeNamesFileIndexAndValue()
    {
        string images = IdxFiles.WriteImages(_temp.File("imgs"), 3, 2, 2);
        string labels = IdxFiles.WriteLabels(_temp.File("lbls"), [1, 2, 7]);

        var ex = Assert.Throws<InvalidDataException>(() => Dataset.LoadIdx(images, labels, classCount: 5))!;
        Assert.That(ex.Message, Does.StartWith(labels + ": ").And.Contain("label 2 is 7").And.Contain("0..4"));
    }

    [Test]
    public void LoadFolderFindsTrainAndTestFilesPlainOrGzipped()
    {
        IdxFiles.WriteImages(_temp.File("train-images-idx3-ubyte.gz"), 6, 2, 2, gzip: true);
        IdxFiles.WriteLabels(_temp.File("train-labels-idx1-ubyte.gz"), [0, 1, 2, 3, 4, 5], gzip: true);
        IdxFiles.WriteImages(_temp.File("t10k-images-idx3-ubyte"), 2, 2, 2);
        IdxFiles.WriteLabels(_temp.File("t10k-labels-idx1-ubyte"), [9, 8]);

        Assert.That(Dataset.LoadFolder(_temp.Path, train: true).Count, Is.EqualTo(6));
        Assert.That(Dataset.LoadFolder(_temp.Path, train: false).Labels.ToArray(), Is.EqualTo(new[] { 9, 8 }));
    }

    [Test]
    public void MissingFolderTellsWhichPackageProvidesTheDefault()
    {
        string missing = _temp.File("no-such-folder");
        var ex = Assert.Throws<DirectoryNotFoundException>(() => Dataset.LoadFolder(missing, train: true))!;
        Assert.That(ex.Message, Does.Contain(missing).And.Contain("dataset-fashion-mnist").And.Contain("apt-get install"));
    }

    [Test]
    public void MissingFileTellsWhichPackageProvidesTheDefault()
    {
        IdxFiles.WriteImages(_temp.File("t10k-images-idx3-ubyte"), 2, 2, 2);
        var ex = Assert.Throws<FileNotFoundException>(() => Dataset.LoadFolder(_temp.Path, train: false))!;
        Assert.That(ex.Message, Does.Contain("t10k-labels-idx1-ubyte").And.Contain("dataset-fashion-mnist"));
    }

    [Test]
    public void FashionMnistFolderGetsItsClassNames()
    {
        var folder = Directory.CreateDirectory(_temp.File("fashion-mnist")).FullName;
        IdxFiles.WriteImages(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), 2, 2, 2, gzip: true);
        IdxFiles.WriteLabels(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"), [9, 0], gzip: true);

        var data = Dataset.LoadFolder(folder, train: false);

        Assert.That(data.ClassNames, Is.EqualTo(FashionMnist.ClassNames));
        Assert.That(data.ClassNames[data.Label(0)], Is.EqualTo("Ankle boot"));
    }

    [Test]
    public void ClassNamesCanBeSetButMustMatchTheClassCount()
    {
        var data = Dataset.FromArrays(new float[6], new Shape(3), [0, 1], classCount: 2);
        data.ClassNames = ["cat", "dog"];
        Assert.That(data.ClassNames, Is.EqualTo(new[] { "cat", "dog" }));
        Assert.Throws<ArgumentException>(() => data.ClassNames = ["only one"]);
    }

    [Test]
    public void TakeAndSliceAreViewsOfTheRightRows()
    {
        var images = Enumerable.Range(0, 10 * 4).Select(i => (float)i).ToArray();
        var data = Dataset.FromArrays(images, new Shape(1, 2, 2), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0], classCount: 3);

        var slice = data.Slice(3, 4);
        Assert.That(slice.Count, Is.EqualTo(4));
        Assert.That(slice.Labels.ToArray(), Is.EqualTo(new[] { 0, 1, 2, 0 }));
        Assert.That(slice.Image(0).ToArray(), Is.EqualTo(new float[] { 12, 13, 14, 15 }));
        Assert.That(slice.Images.Length, Is.EqualTo(16));
        Assert.That(slice.Slice(1, 2).Image(1).ToArray(), Is.EqualTo(new float[] { 20, 21, 22, 23 }));

        Assert.That(data.Take(3).Images.ToArray(), Is.EqualTo(images[..12]));
        Assert.That(data.Take(100).Count, Is.EqualTo(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Slice(8, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => slice.Image(4));
    }

    [Test]
    public void FromArraysChecksSizesAndLabels()
    {
        Assert.That(() => Dataset.FromArrays(new float[7], new Shape(1, 2, 2), [0, 1], 2),
            Throws.ArgumentException.With.Message.Contains("need 8").And.Message.Contains("got 7"));
        Assert.That(() => Dataset.FromArrays(new float[8], new Shape(1, 2, 2), [0, 2], 2),
            Throws.ArgumentException.With.Message.Contains("Label 1 is 2"));
    }
}
