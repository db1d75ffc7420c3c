using CnnNative.Serialization;
using CnnNative.Tests.Data;
using CnnNative.Tests.Reliability;

namespace CnnNative.Tests.Cli;

/// <summary>Every command that writes a file checks it before its work; every command that loads a model takes --allow-non-finite.</summary>
public class CliOutputCheckTests
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

    [Test]
    public void FiltersRefusesADirectoryAsOut()
    {
        Directory.CreateDirectory(_temp.File("pictures"));
        var r = CliRunner.Run("filters", "--model", _model, "--device", "reference", "--out", _temp.File("pictures"));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain($"--out '{_temp.File("pictures")}'").And.Contain("directory"));
    }

    [Test]
    public void FiltersChecksTheMapsPictureBeforeLoadingTheModel()
    {
        UnixFiles.MakeFifo(_temp.File("maps.png"));
        SyntheticData.WritePgm(_temp.File("x.pgm"), 0);
        var r = CliRunner.Run("filters", "--model", _temp.File("missing.safetensors"), "--image", _temp.File("x.pgm"), "--maps-out", _temp.File("maps.png"));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain("--maps-out").And.Contain("FIFO"), "the output is checked first, before the model is looked for");
    }

    [Test]
    public void ExportRefusesADirectoryAsOnnx()
    {
        Directory.CreateDirectory(_temp.File("m.onnx"));
        var r = CliRunner.Run("export", "--model", _model, "--onnx", _temp.File("m.onnx"));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain($"--onnx '{_temp.File("m.onnx")}'").And.Contain("directory"));
    }

    [Test]
    public void ImportChecksItsOutBeforeReadingTheOnnxFile()
    {
        File.WriteAllText(_temp.File("junk.onnx"), "not protobuf");
        UnixFiles.MakeFifo(_temp.File("imported.safetensors"));
        var r = CliRunner.Run("import", _temp.File("junk.onnx"), "--out", _temp.File("imported.safetensors"));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain("--out").And.Contain("FIFO"), r.ToString());
    }

    [Test]
    public void BenchChecksItsJsonFileBeforeMeasuring()
    {
        UnixFiles.MakeFifo(_temp.File("bench.json"));
        var r = CliRunner.Run("bench", "--devices", "reference", "--json", _temp.File("bench.json"));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error.Trim(), Does.StartWith("cnn: Cannot write --json").And.Not.Contain("bench:"), r.ToString());
    }

    [Test]
    public void AllowNonFiniteLoadsADamagedModelForInspection()
    {
        var (tensors, metadata) = SafeTensors.Read(_model);
        tensors[0].Data[0] = float.NaN;
        SafeTensors.Write(_model, tensors, metadata);

        Assert.That(CliRunner.Run("summary", _model).ExitCode, Is.EqualTo(1));
        var r = CliRunner.Run("summary", _model, "--allow-non-finite");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain("conv2d_1 (Conv2d)"));
    }
}
