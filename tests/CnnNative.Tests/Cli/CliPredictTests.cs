using System.Text.Json;
using System.Text.RegularExpressions;
using CnnNative.Tests.Data;
using CnnNative.Tests.Reliability;

namespace CnnNative.Tests.Cli;

/// <summary>`cnn predict` with several inputs (IDX files and pictures mixed), in text and as --json.</summary>
public class CliPredictTests
{
    private TempFolder _temp = null!;
    private string _model = null!, _idx = null!, _shirt = null!, _boot = null!;

    [OneTimeSetUp]
    public void SaveModelAndInputs()
    {
        _temp = new TempFolder();
        _model = SmallModel.Save(_temp.File("m.safetensors"));
        SyntheticData.Write(_temp.File("data"), 20, 30);
        _idx = _temp.File("data", "t10k-images-idx3-ubyte");
        _shirt = _temp.File("shirt.pgm");
        _boot = _temp.File("boot.pgm");
        SyntheticData.WritePgm(_shirt, 0);
        SyntheticData.WritePgm(_boot, 1);
    }

    [OneTimeTearDown]
    public void DeleteFolder() => _temp.Dispose();

    private CliResult Predict(params string[] args) => CliRunner.Run(["predict", "--model", _model, "--device", "reference", .. args]);

    [Test]
    public void ManyInputsGetALinePerPictureAndAListingPerIdxFile()
    {
        var r = Predict(_shirt, _idx, _boot, "--limit", "25");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.Match($@"^{Regex.Escape(_shirt)}: \d \(\d+\.\d %\)$"));
        Assert.That(lines[1], Is.EqualTo($"{_idx}: 25 images"));
        Assert.That(r.Out, Does.Contain("  ... and 5 more").And.Contain("predicted classes of 25 images:"));
        Assert.That(lines[^1], Does.Match($@"^{Regex.Escape(_boot)}: \d \(\d+\.\d %\)$"));

        // Each picture's class is the one its own single-input run names first.
        var single = Predict(_boot).Out.Split('\n')[0];
        Assert.That(lines[^1], Does.StartWith(single + " ("));
    }

    [Test]
    public void JsonHasOneEntryPerImageWithItsProbabilities()
    {
        var r = Predict(_shirt, _idx, _boot, "--limit", "3", "--json");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Error, Is.Empty);

        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.That(root.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "model", "predictions" }));
        Assert.That(root.GetProperty("model").GetString(), Is.EqualTo(_model));
        var predictions = root.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(predictions.Select(p => (p.GetProperty("input").GetString(), p.GetProperty("index").GetInt32())),
            Is.EqualTo(new[] { (_shirt, 0), (_idx, 0), (_idx, 1), (_idx, 2), (_boot, 0) }));
        foreach (var p in predictions)
        {
            Assert.That(p.EnumerateObject().Select(f => f.Name), Is.EqualTo(new[] { "input", "index", "class", "class_name", "probabilities" }));
            var probabilities = p.GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble()).ToList();
            Assert.That(probabilities, Has.Count.EqualTo(10));
            Assert.That(probabilities.Sum(), Is.EqualTo(1).Within(1e-5));
            int best = probabilities.IndexOf(probabilities.Max());
            Assert.That(p.GetProperty("class").GetInt32(), Is.EqualTo(best), "the class is the most probable one");
            Assert.That(p.GetProperty("class_name").GetString(), Is.EqualTo(best.ToString()), "names are the indices for a model saved without names");
        }

        // The same images give the same classes in the text listing of the IDX file.
        var text = Predict(_idx, "--limit", "3");
        for (int i = 0; i < 3; i++)
            Assert.That(text.Out, Does.Contain($"    {i}: {predictions[1 + i].GetProperty("class").GetInt32()} ("));
    }

    [Test]
    public void ABrokenInputFailsTheRunBeforeAnythingIsPrinted()
    {
        string missing = _temp.File("missing.pgm"), broken = _temp.File("broken.png");
        File.WriteAllText(broken, "not a picture");

        var absent = Predict(_shirt, missing, "--json");
        var undecodable = Predict(_shirt, _idx, broken, "--json");

        Assert.That(absent.ExitCode, Is.EqualTo(1), absent.ToString());
        Assert.That(absent.Error, Does.Contain(missing).And.Contain("does not exist"));
        Assert.That(undecodable.ExitCode, Is.EqualTo(1), undecodable.ToString());
        Assert.That(undecodable.Error, Does.Contain(broken));
        Assert.That(absent.Out + undecodable.Out, Is.Empty, "no half a JSON document");
    }

    [TestCase("--top 2 --json", "--top shapes the text output")]
    [TestCase("--limit 5", "--limit applies to IDX files; every INPUT is a picture")]
    public void OptionsThatDoNotApplyAreUsageErrors(string options, string message)
    {
        var r = Predict([_shirt, _boot, .. options.Split(' ')]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain(message));
    }
}
