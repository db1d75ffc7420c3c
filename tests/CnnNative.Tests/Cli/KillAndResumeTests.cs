using System.Runtime.InteropServices;
using System.Text.Json;
using CnnNative.Serialization;
using CnnNative.Tests.Data;

namespace CnnNative.Tests.Cli;

/// <summary>
/// The crash test, for real: `cnn train` runs as a child process, is killed with SIGKILL (or stopped with SIGINT,
/// Ctrl+C) mid-epoch once its checkpoint exists, and is resumed with the same command plus --resume. The resumed
/// run's model must equal an uninterrupted run's bit for bit, and its per-epoch metrics must be the same.
/// </summary>
[NonParallelizable]
public partial class KillAndResumeTests
{
    // Heavy enough per image (two 5×5 convolutions of 32 filters, one thread) that an epoch of 2,700 images lasts
    // about a second or more, so that the first checkpoint appears long before the run would end.
    private const string Model = "conv32k5ps-relu-maxpool2-conv32k5ps-relu-maxpool2-flatten-dense32-relu-dropout0.25-dense10";
    private TempFolder _temp = null!;
    private string _data = null!;
    private (CliProcess Run, string Model, string Metrics) _reference;

    [OneTimeSetUp]
    public void TrainUninterrupted()
    {
        _temp = new TempFolder();
        _data = _temp.File("data");
        SyntheticData.Write(_data, trainCount: 3000, testCount: 200);
        var run = Start("reference");
        run.WaitForExit();
        _reference = (run, _temp.File("reference", "model.safetensors"), _temp.File("reference", "metrics.json"));
    }

    [OneTimeTearDown]
    public void DeleteFolder() => _temp.Dispose();

    private CliProcess Start(string name, params string[] extra)
        => CliProcess.Start(["train", "--data", _data, "--model", Model, "--epochs", "2", "--batch", "32",
                             "--validation-split", "0.1", "--augment", "crop,flip", "--schedule", "onecycle", "--lr", "0.003",
                             "--device", "cpu", "--threads", "1", "--seed", "5", "--checkpoint-every-batches", "4",
                             "--out", _temp.File(name, "model.safetensors"), "--metrics-out", _temp.File(name, "metrics.json"), .. extra]);

    [TestCase("SIGKILL")]
    [TestCase("SIGINT")]
    public void AKilledRunResumesToTheUninterruptedRunsWeights(string signal)
    {
        Assert.That(_reference.Run.ExitCode, Is.Zero, _reference.Run.ToString());
        string name = signal.ToLowerInvariant(), checkpoint = _temp.File(name, "model.safetensors.ckpt");

        var killed = Start(name);
        Assert.That(killed.WaitForFile(checkpoint, TimeSpan.FromMinutes(3)), Is.True, $"no checkpoint appeared\n{killed}");
        Assert.That(killed.HasExited, Is.False, $"the run ended before it could be interrupted\n{killed}");
        if (signal == "SIGKILL") killed.Kill();
        else Assert.That(SendSignal(killed.Id, 2), Is.Zero, "kill(pid, SIGINT)");
        killed.WaitForExit();
        Assert.That(killed.ExitCode, Is.EqualTo(signal == "SIGKILL" ? 137 : 130), killed.ToString());
        if (signal == "SIGINT") Assert.That(killed.Out, Does.Contain("run the same command with --resume"));
        Assert.That(File.Exists(_temp.File(name, "model.safetensors")), Is.False, "no model before training has finished");

        var position = CheckpointFile.Read(checkpoint).Progress;
        Assert.That(position.Batch, Is.GreaterThan(0), "interrupted mid-epoch");
        TestContext.Out.WriteLine($"interrupted with {signal} at epoch {position.Epoch}, batch {position.Batch + 1}");

        var resumed = Start(name, "--resume");
        resumed.WaitForExit();
        Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());
        Assert.That(resumed.Out, Does.Contain($"resuming from {checkpoint} at epoch {position.Epoch}, batch {position.Batch + 1} of 85"));
        Assert.That(File.Exists(checkpoint), Is.False, "the checkpoint is removed once the model is saved");

        var (expected, _) = SafeTensors.Read(_reference.Model);
        var (actual, _) = SafeTensors.Read(_temp.File(name, "model.safetensors"));
        Assert.That(actual.Select(t => t.Name), Is.EqualTo(expected.Select(t => t.Name)));
        for (int i = 0; i < expected.Count; i++)
            Assert.That(MemoryMarshal.AsBytes(actual[i].Data.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(expected[i].Data.AsSpan())), Is.True,
                        $"{expected[i].Name} differs from the uninterrupted run's");
        Assert.That(EpochFigures(_temp.File(name, "metrics.json")), Is.EqualTo(EpochFigures(_reference.Metrics)));
    }

    [Test]
    public void ResumeWithoutACheckpointStartsAfreshAndSaysSo()
    {
        var r = CliRunner.Run("train", "--data", _data, "--model", "conv2k5-relu-maxpool4-dense10", "--epochs", "1", "--limit", "64",
                              "--device", "reference", "--out", _temp.File("fresh", "m.safetensors"), "--resume");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain("no checkpoint at ").And.Contain("starting afresh"));
    }

    /// <summary>Every per-epoch figure of a metrics file except the timings.</summary>
    private static List<string> EpochFigures(string metrics)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(metrics));
        return doc.RootElement.GetProperty("epochs").EnumerateArray()
            .Select(e => string.Join(" ", new[] { "epoch", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "learning_rate" }
                .Select(f => $"{f}={e.GetProperty(f).GetRawText()}")))
            .ToList();
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
