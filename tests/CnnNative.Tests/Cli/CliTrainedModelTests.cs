using System.Text.Json;
using System.Text.RegularExpressions;
using CnnNative.Devices;
using CnnNative.Serialization;
using CnnNative.Tests.Data;
using SkiaSharp;

namespace CnnNative.Tests.Cli;

/// <summary>
/// `cnn train` once on a tiny synthetic data set (reference device, about a second), then every command that
/// reads its outputs: evaluate, predict, filters, summary.
/// </summary>
public class CliTrainedModelTests
{
    private TempFolder _temp = null!;
    private CliResult _train = null!;
    private string _data = null!, _model = null!, _metrics = null!;

    [OneTimeSetUp]
    public void Train()
    {
        _temp = new TempFolder();
        _data = _temp.File("data");
        SyntheticData.Write(_data);
        _model = _temp.File("out", "tiny.safetensors");
        _metrics = _temp.File("tiny.json");
        _train = CliRunner.Run("train", "--data", _data, "--model", "conv4k5-relu-maxpool2-dense10", "--epochs", "2",
                               "--batch", "16", "--lr", "0.005", "--device", "reference", "--seed", "3",
                               "--out", _model, "--metrics-out", _metrics);
    }

    [OneTimeTearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public void TrainPrintsOneLinePerEpochAndTheFinalAccuracy()
    {
        Assert.That(_train.ExitCode, Is.Zero, _train.ToString());
        var epochLine = new Regex(@"^epoch (\d)/2: loss \d+\.\d{4}, train accuracy \d+\.\d %, test accuracy \d+\.\d %, \d+\.\d s, \d+ images/s$", RegexOptions.Multiline);
        var epochs = epochLine.Matches(_train.Out).Select(m => m.Groups[1].Value);
        Assert.That(epochs, Is.EqualTo(new[] { "1", "2" }), _train.Out);
        Assert.That(_train.Out, Does.Match(@"(?m)^test accuracy \d+\.\d % after 2 epochs"));
        Assert.That(_train.Error, Is.Empty);
    }

    [Test]
    public void TrainSavesALoadableModelWithItsMetadata()
    {
        using var device = Device.Create("reference");
        using var model = ModelFile.Load(_model, device, out var meta);
        Assert.That(model.Spec, Is.EqualTo("conv4k5-relu-maxpool2-dense10-softmax"));
        Assert.That(meta["classes"], Is.EqualTo("0|1|2|3|4|5|6|7|8|9"));
        Assert.That(meta["epochs"], Is.EqualTo("2"));
        Assert.That(meta["device"], Is.EqualTo("reference"));
        // The two classes differ in which half is bright: anything short of learning that is a broken loop.
        Assert.That(double.Parse(meta["test_accuracy"], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0.9));
    }

    [Test]
    public void TrainWritesTheMetricsJson()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(_metrics));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("model").GetString(), Is.EqualTo("conv4k5-relu-maxpool2-dense10"));
        Assert.That(root.GetProperty("device").GetString(), Is.EqualTo("reference"));
        Assert.That(root.GetProperty("batch").GetInt32(), Is.EqualTo(16));
        Assert.That(root.GetProperty("seed").GetInt32(), Is.EqualTo(3));
        Assert.That(root.GetProperty("threads").GetInt32(), Is.Zero);
        Assert.That(root.GetProperty("optimizer").GetString(), Does.StartWith("adam(lr=0.005"));
        Assert.That(root.GetProperty("parameters").GetInt64(), Is.EqualTo(4 * 25 + 4 + 4 * 12 * 12 * 10 + 10));
        var epochs = root.GetProperty("epochs").EnumerateArray().ToList();
        Assert.That(epochs.Select(e => e.GetProperty("epoch").GetInt32()), Is.EqualTo(new[] { 1, 2 }));
        foreach (var e in epochs)
            foreach (var field in new[] { "train_loss", "train_accuracy", "test_accuracy", "images_per_second", "seconds" })
                Assert.That(e.GetProperty(field).GetDouble(), Is.GreaterThan(0), field);
        Assert.That(root.GetProperty("test_accuracy").GetDouble(), Is.EqualTo(epochs[^1].GetProperty("test_accuracy").GetDouble()));
        Assert.That(Directory.GetFiles(_temp.Path, "*.tmp*", SearchOption.AllDirectories), Is.Empty, "no temporary file is left behind");
    }

    [TestCase("tiny.curves.png")]
    [TestCase("tiny.filters.png")]
    public void TrainDrawsPicturesBesideTheModel(string name)
    {
        using var bitmap = SKBitmap.Decode(_temp.File("out", name));
        Assert.That(bitmap, Is.Not.Null, $"{name} is a PNG");
        Assert.That(bitmap.Width, Is.GreaterThan(10));
    }

    [Test]
    public void EvaluatePrintsAccuracyPerClassAndTheConfusionMatrix()
    {
        var r = CliRunner.Run("evaluate", "--model", _model, "--data", _data, "--device", "reference");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Match(@"^accuracy \d+\.\d % on 100 test images"));
        Assert.That(r.Out, Does.Contain("accuracy per class"));
        Assert.That(r.Out, Does.Contain("confusion matrix"));
        // 50 test images of classes 0 and 1, none of the others (accuracy "-").
        Assert.That(r.Out, Does.Match(@"(?m)^│ 1 1\s+│\s+50 │\s+\d+\.\d % │$"));
        Assert.That(r.Out, Does.Match(@"(?m)^│ 2 2\s+│\s+0 │\s+- │$"));
        // The confusion matrix row of class 0 (second table) counts its 50 images, mostly on the diagonal.
        var row = r.Out.Split('\n').Where(l => l.StartsWith("│ 0 0")).ElementAt(1);
        var cells = row.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).Select(int.Parse).ToList();
        Assert.That(cells, Has.Count.EqualTo(10));
        Assert.That(cells.Sum(), Is.EqualTo(50));
        Assert.That(cells[0], Is.GreaterThan(40), row);
    }

    [TestCase(0)]
    [TestCase(1)]
    public void PredictClassifiesAPicture(int label)
    {
        string pgm = _temp.File($"class{label}.pgm");
        SyntheticData.WritePgm(pgm, label);
        var r = CliRunner.Run("predict", "--model", _model, "--device", "reference", pgm);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo($"{pgm}: {label}"));
        Assert.That(lines, Has.Length.EqualTo(11), "the class line and one line per class");
        Assert.That(lines[1], Does.EndWith($"%  {label}"), "most likely first");
    }

    [Test]
    public void PredictListsTheFirstImagesOfAnIdxFileAndCountsClasses()
    {
        var r = CliRunner.Run("predict", "--model", _model, "--device", "reference", "--limit", "30", "--top", "2",
                              Path.Combine(_data, "t10k-images-idx3-ubyte"));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(Regex.Matches(r.Out, @"(?m)^\s+\d+: \d \(\d+\.\d %\), \d \(\d+\.\d %\)$").Count, Is.EqualTo(20), r.Out);
        Assert.That(r.Out, Does.Contain("... and 10 more"));
        Assert.That(r.Out, Does.Contain("predicted classes of 30 images:"));
        var counts = Regex.Matches(r.Out, @"(?m)^  \d  +(\d+)$").Select(m => int.Parse(m.Groups[1].Value));
        Assert.That(counts.Sum(), Is.EqualTo(30));
    }

    [Test]
    public void FiltersDrawsTheFiltersAndTheFeatureMapsOfAnImage()
    {
        string pgm = _temp.File("maps.pgm"), filters = _temp.File("f.png"), maps = _temp.File("m.png");
        SyntheticData.WritePgm(pgm, 0);
        var r = CliRunner.Run("filters", "--model", _model, "--device", "reference", "--out", filters, "--image", pgm, "--maps-out", maps);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain("4 filters of 1x5x5").And.Contain("4 feature maps of 24x24"));
        Assert.That(File.Exists(filters) && File.Exists(maps), Is.True);
    }

    [Test]
    public void SummaryOfASavedModelShowsItsLayers()
    {
        var r = CliRunner.Run("summary", _model);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain("conv2d_1 (Conv2d)").And.Contain("Total params: 5,874"));
    }
}
