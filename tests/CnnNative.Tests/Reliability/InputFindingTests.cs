using CnnNative.Data;
using CnnNative.Tests.Cli;
using CnnNative.Tests.Data;

namespace CnnNative.Tests.Reliability;

/// <summary>
/// Issue 13, findings 8 and 9: the wrong kind of IDX file given to `cnn predict`, and a folder entry that is a
/// directory named like a data file.
/// </summary>
public class InputFindingTests
{
    private TempFolder _temp = null!;
    private string _model = null!;

    [SetUp]
    public void SaveModel()
    {
        _temp = new TempFolder();
        _model = SmallModel.Save(_temp.File("m.safetensors"));
    }

    [TearDown] public void DeleteFolder() => _temp.Dispose();

    private CliResult Predict(string input) => CliRunner.Run("predict", "--model", _model, "--device", "reference", input);

    [TestCase(false)]
    [TestCase(true)]
    public void Finding8_ALabelsFileGivenToPredictIsRefused(bool gzip)
    {
        string labels = IdxFiles.WriteLabels(_temp.File("t10k-labels-idx1-ubyte"), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], gzip);

        var r = Predict(labels);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain(labels).And.Contain("labels"), r.ToString());
    }

    [Test]
    public void Finding8_AFloatIdxFileGivenToPredictIsRefused()
    {
        // Element type 0x0D is float32 in the IDX format; two 28x28 images of 4-byte values.
        string floats = IdxFiles.Write(_temp.File("images-f32.idx"), IdxFiles.Build(0x00000D03, [2, 28, 28], new byte[2 * 28 * 28 * 4]), gzip: false);

        var r = Predict(floats);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain(floats).And.Contain("0x00000D03").And.Contain("unsigned byte"), r.ToString());
    }

    [Test]
    public void Finding9_ADirectoryNamedLikeADataFileIsReportedAsAFolder()
    {
        string data = _temp.File("data");
        SyntheticData.Write(data, trainCount: 4, testCount: 4);
        string images = Path.Combine(data, "train-images-idx3-ubyte");
        File.Delete(images);
        Directory.CreateDirectory(images);

        var error = Assert.Throws<FileNotFoundException>(() => Dataset.LoadFolder(data, train: true));

        Assert.That(error!.Message, Does.Contain(images).And.Contain("is a directory, not a data file"));
    }
}
