using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Serialization;
using CnnNative.Tests.Data;

namespace CnnNative.Tests.Cli;

/// <summary>
/// `cnn train` with the bn and gap spec tokens on a tiny synthetic data set, then the commands that read the model:
/// summary (the running statistics as non-trainable parameters), evaluate, and export to ONNX.
/// </summary>
public class CliBatchNormTests
{
    private const string Spec = "conv4k5-bn-relu-maxpool2-conv6k3-bn-relu-gap-dense8-bn-relu-dense10";
    private TempFolder _temp = null!;
    private CliResult _train = null!;
    private string _data = null!, _model = null!;

    [OneTimeSetUp]
    public void Train()
    {
        _temp = new TempFolder();
        _data = _temp.File("data");
        SyntheticData.Write(_data);
        _model = _temp.File("bn.safetensors");
        _train = CliRunner.Run("train", "--data", _data, "--model", Spec, "--epochs", "2", "--batch", "16", "--lr", "0.01",
                               "--device", "cpu", "--threads", "2", "--seed", "3", "--out", _model);
    }

    [OneTimeTearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public void TrainLearnsAndSavesTheRunningStatistics()
    {
        Assert.That(_train.ExitCode, Is.Zero, _train.ToString());
        using var device = Device.Create("reference");
        using var model = ModelFile.Load(_model, device, out var meta);
        Assert.That(model.Spec, Is.EqualTo(Spec + "-softmax"));
        Assert.That(double.Parse(meta["test_accuracy"], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0.9));
        Assert.That(model.Layers.OfType<BatchNorm>().SelectMany(b => b.RunningMean.Value.ToArray()), Has.Some.Not.EqualTo(0f));
    }

    [Test]
    public void SummaryCountsTheRunningStatisticsAsNonTrainable()
    {
        var r = CliRunner.Run("summary", _model);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain("bn_1 (BatchNorm2d)").And.Contain("bn_3 (BatchNorm1d)").And.Contain("gap_1 (GlobalAvgPool2d)")
                                .And.Contain($"Non-trainable params: {2 * (4 + 6 + 8)}"));
    }

    [Test]
    public void EvaluateUsesTheRunningStatistics()
    {
        var r = CliRunner.Run("evaluate", "--model", _model, "--data", _data, "--device", "native");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Match(@"accuracy (9\d|100)\.\d %"));
    }

    [Test]
    public void ExportWritesBatchNormalizationNodes()
    {
        string onnx = _temp.File("bn.onnx");
        var r = CliRunner.Run("export", "--model", _model, "--onnx", onnx);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var graph = CnnNative.Onnx.Protos.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx)).Graph;
        Assert.That(graph.Node.Count(n => n.OpType == "BatchNormalization"), Is.EqualTo(3));
        Assert.That(graph.Node.Select(n => n.OpType), Does.Contain("GlobalAveragePool"));
        Assert.That(graph.Initializer.Select(t => t.Name), Does.Contain("bn_3.running_var"));
    }
}
