using System.Text.Json;
using CnnNative.Tests.Data;
using CnnNative.Training;

namespace CnnNative.Tests.Cli;

/// <summary>`cnn train`'s options for validation splits, augmentation, schedules, callbacks, checkpoints and recipes.</summary>
public class CliTrainingOptionsTests
{
    private TempFolder _temp = null!;
    private string _data = null!;

    [OneTimeSetUp]
    public void MakeData()
    {
        _temp = new TempFolder();
        _data = _temp.File("data");
        SyntheticData.Write(_data, trainCount: 200, testCount: 60);
    }

    [OneTimeTearDown]
    public void DeleteFolder() => _temp.Dispose();

    private CliResult Train(string name, params string[] extra)
        => CliRunner.Run(["train", "--data", _data, "--model", "conv4k5-relu-maxpool2-dense10", "--batch", "16", "--lr", "0.005",
                          "--device", "reference", "--seed", "3", "--out", _temp.File(name, "model.safetensors"), .. extra]);

    [Test]
    public void TrainHelpNamesTheNewOptions()
    {
        var r = CliRunner.Run("train", "--help");
        foreach (var option in new[] { "--recipe", "--schedule", "--step-every", "--step-gamma", "--warmup-epochs", "--augment", "--validation-split",
                                       "--early-stopping", "--restore-best-weights", "--reduce-lr-on-plateau", "--reduce-lr-factor",
                                       "--model-checkpoint", "--save-best-only", "--monitor", "--min-delta", "--csv-log", "--json-log",
                                       "--target-accuracy", "--checkpoint-every", "--checkpoint-every-batches", "--resume", "--keep-checkpoint" })
            Assert.That(r.Out, Does.Contain($"  {option} "), option);
    }

    [TestCase("--early-stopping 2", "needs --validation-split")]
    [TestCase("--reduce-lr-on-plateau 1 --monitor val_accuracy", "val_accuracy, which needs --validation-split")]
    [TestCase("--monitor loss", "--monitor is for")]
    [TestCase("--restore-best-weights", "--restore-best-weights needs --early-stopping")]
    [TestCase("--save-best-only", "--save-best-only needs --model-checkpoint")]
    [TestCase("--schedule step", "--schedule step needs --step-every")]
    [TestCase("--step-every 2", "--step-every is for --schedule step")]
    [TestCase("--schedule cosine --warmup-epochs 1", "--warmup-epochs is for")]
    [TestCase("--schedule onecycle --warmup-epochs 5 --epochs 5", "leaves nothing")]
    [TestCase("--schedule linear", "constant or cosine or step or onecycle or warmup-cosine")]
    [TestCase("--augment rotate", "'rotate'")]
    [TestCase("--validation-split 1", "below 1")]
    [TestCase("--validation-split 0", "above 0")]
    [TestCase("--recipe slow", "Unknown recipe 'slow'")]
    [TestCase("--recipe fast --warmup-epochs 1", "needs --schedule beside --recipe fast")]
    [TestCase("--target-accuracy 90", "up to 1")]
    [TestCase("--early-stopping 2 --monitor loss --min-delta -1", "--min-delta")]
    [TestCase("--checkpoint-every 0", "--checkpoint-every")]
    public void MistakesAreUsageErrorsNamingTheOption(string options, string message)
    {
        var r = Train("bad", options.Split(' '));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain(message));
    }

    [Test]
    public void AValidationSplitRunValidatesPerEpochAndTestsOnceWithTheCallbacksAtWork()
    {
        string metrics = _temp.File("split", "metrics.json"), csv = _temp.File("split", "log.csv");
        var r = Train("split", "--epochs", "3", "--validation-split", "0.2", "--augment", "crop1,flip", "--schedule", "warmup-cosine",
                      "--early-stopping", "5", "--restore-best-weights", "--reduce-lr-on-plateau", "1", "--monitor", "val_loss",
                      "--model-checkpoint", _temp.File("split", "e{epoch}.safetensors"), "--csv-log", csv, "--metrics-out", metrics);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain("200 images less a 0.2 validation split").And.Contain("augmentation crop1,flip"));
        Assert.That(r.Out, Does.Match(@"(?m)^epoch 3/3: .*, validation accuracy \d+\.\d %"));
        Assert.That(r.Out, Does.Match(@"(?m)^test accuracy \d+\.\d % after 3 epochs"));

        using var doc = JsonDocument.Parse(File.ReadAllText(metrics));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("validation_split").GetDouble(), Is.EqualTo(0.2));
        Assert.That(root.GetProperty("augment").GetString(), Is.EqualTo("crop1,flip"));
        Assert.That(root.GetProperty("schedule").GetString(), Is.EqualTo("warmup-cosine"));
        Assert.That(root.GetProperty("test_accuracy").GetDouble(), Is.GreaterThan(0.9), "the two classes are easy");
        foreach (var e in root.GetProperty("epochs").EnumerateArray())
        {
            Assert.That(e.TryGetProperty("test_accuracy", out _), Is.False, "the test set is not looked at per epoch");
            Assert.That(e.GetProperty("validation_loss").GetDouble(), Is.GreaterThan(0));
            Assert.That(e.GetProperty("validation_accuracy").GetDouble(), Is.GreaterThan(0));
            Assert.That(e.GetProperty("learning_rate").GetDouble(), Is.GreaterThan(0));
        }
        Assert.That(File.ReadAllLines(csv), Has.Length.EqualTo(4));
        Assert.That(File.Exists(_temp.File("split", "e3.safetensors")), Is.True);
        Assert.That(File.Exists(_temp.File("split", "model.safetensors.ckpt")), Is.False, "the checkpoint is removed after the save");
    }

    [Test]
    public void ARecipeSetsTheRunAndReportsItsTimeToAccuracy()
    {
        string metrics = _temp.File("recipe", "metrics.json");
        var r = CliRunner.Run("train", "--data", _data, "--recipe", "fast", "--epochs", "2", "--batch", "32", "--device", "reference",
                              "--out", _temp.File("recipe", "model.safetensors"), "--metrics-out", metrics);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.StartWith("recipe fast: training conv8k3ps-relu-maxpool2-bn-conv16k3ps-relu-maxpool2-bn-flatten-dense64-relu-dense10 (52,186 parameters)"));
        using var doc = JsonDocument.Parse(File.ReadAllText(metrics));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("recipe").GetString(), Is.EqualTo("fast"));
        Assert.That(root.GetProperty("batch").GetInt32(), Is.EqualTo(32), "an option beside the recipe wins");
        Assert.That(root.GetProperty("optimizer").GetString(),
                    Does.StartWith(FormattableString.Invariant($"adam(lr={Recipe.Fast.LearningRate},")), "the recipe's optimizer and peak rate");
        Assert.That(root.GetProperty("schedule").GetString(), Is.EqualTo("onecycle"));
        Assert.That(root.GetProperty("accuracy_target").GetDouble(), Is.EqualTo(0.9));
        // The time to accuracy is the training seconds up to the first epoch at or past the target.
        var epochs = root.GetProperty("epochs").EnumerateArray().ToList();
        int first = epochs.FindIndex(e => e.GetProperty("test_accuracy").GetDouble() >= 0.9);
        var time = root.GetProperty("time_to_accuracy_seconds");
        if (first < 0)
        {
            Assert.That(time.ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(r.Out, Does.Contain("test accuracy did not reach 90.0 % in 2 epochs"));
        }
        else
        {
            Assert.That(time.GetDouble(), Is.EqualTo(epochs.Take(first + 1).Sum(e => e.GetProperty("seconds").GetDouble())).Within(1e-9));
            Assert.That(r.Out, Does.Match($@"(?m)^time to 90\.0 % test accuracy: \d+\.\d s of training \(epoch {first + 1}\)$"));
        }
    }

    [Test]
    public void TheBestRecipeTrainsWithItsOptimizerAugmentationAndTarget()
    {
        string metrics = _temp.File("best", "metrics.json");
        var r = CliRunner.Run("train", "--data", _data, "--recipe", "best", "--epochs", "1", "--limit", "64", "--device", "cpu", "--threads", "2",
                              "--out", _temp.File("best", "model.safetensors"), "--metrics-out", metrics);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.StartWith("recipe best: training conv32k3ps-bn-relu-"));
        Assert.That(r.Out, Does.Contain("augmentation crop"));
        using var doc = JsonDocument.Parse(File.ReadAllText(metrics));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("recipe").GetString(), Is.EqualTo("best"));
        Assert.That(root.GetProperty("optimizer").GetString(), Does.StartWith("sgd(lr=0.05,momentum=0.9,weight_decay=0.0005,nesterov"));
        Assert.That(root.GetProperty("batch").GetInt32(), Is.EqualTo(128));
        Assert.That(root.GetProperty("augment").GetString(), Does.Contain("flip"));
        Assert.That(root.GetProperty("accuracy_target").GetDouble(), Is.EqualTo(0.94));
        Assert.That(r.Out, Does.Match(@"(?m)^(time to 94\.0 % test accuracy: |test accuracy did not reach 94\.0 %)"), "the time to the target, or that it was not reached");
    }

    [Test]
    public void AStaleCheckpointIsNamedAndKeptWhenAsked()
    {
        Directory.CreateDirectory(_temp.File("stale"));
        File.WriteAllText(_temp.File("stale", "model.safetensors.ckpt"), "left over");
        var r = Train("stale", "--epochs", "1", "--keep-checkpoint");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain("is left from an earlier run and will be replaced; pass --resume"));
        Assert.That(new FileInfo(_temp.File("stale", "model.safetensors.ckpt")).Length, Is.GreaterThan(1000), "replaced by this run's, and kept");

        var resumed = Train("stale", "--epochs", "1", "--resume");
        Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());
        Assert.That(resumed.Out, Does.Contain("its training had already finished"));
        Assert.That(File.Exists(_temp.File("stale", "model.safetensors.ckpt")), Is.False);

        var other = Train("stale", "--epochs", "2", "--keep-checkpoint");
        Assert.That(other.ExitCode, Is.Zero, other.ToString());
        var refused = Train("stale", "--epochs", "2", "--limit", "150", "--resume");
        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());
        Assert.That(refused.Error, Does.Contain("belongs to another training run").And.Contain("data 200 × (1, 28, 28), 10 classes").And.Contain("150 ×"));
    }
}
