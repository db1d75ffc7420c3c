using System.Runtime.InteropServices;
using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Serialization;
using CnnNative.Tensors;
using CnnNative.Tests.Data;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

/// <summary>
/// Fit interrupted (cancelled, or crashed after a mid-epoch checkpoint) and resumed must end exactly where an
/// uninterrupted Fit ends: same weights to the bit, same history. The run uses everything that draws random numbers
/// or keeps state: shuffling, augmentation, a validation split, dropout, Adam or SGD momentum, a schedule, and
/// callbacks with memory.
/// </summary>
public class CheckpointResumeTests
{
    private const string Net = "conv4k3ps-relu-maxpool2-flatten-dense16-relu-dropout0.3-dense3";

    /// <summary>The same with batch normalization: its running statistics are state a resume must restore too.</summary>
    private const string BatchNormNet = "conv4k3ps-bn-relu-maxpool2-flatten-dense16-bn-relu-dropout0.3-dense3";
    private const int Epochs = 3, Batch = 8;
    private static readonly Dataset Data = SyntheticData.Bars(100, seed: 7);

    /// <summary>One training run on a fresh model; <paramref name="interrupt"/> may throw out of Fit at a batch.</summary>
    private static (float[][] Weights, History? History, int Steps, string Callbacks) Train(
        string deviceName, string optimizer, TrainingCheckpoint? checkpoint = null, string? resumeFrom = null,
        Action<BatchResult, CancellationTokenSource>? interrupt = null, IDevice? shared = null, string net = Net)
    {
        var owned = shared is null ? Device.Create(deviceName, threads: 1) : null;
        var device = shared ?? owned!;
        try
        {
            using var model = ModelBuilder.Build(net, device, Data.InputShape, seed: 11);
            model.Compile(optimizer == "adam" ? new Adam(0.01f) : new Sgd(0.05f, momentum: 0.9f), Loss.CategoricalCrossEntropy, Metric.Accuracy);
            using var cancel = new CancellationTokenSource();
            // The plateau callback lowers the rate after epochs 2 and 3 (no loss improves by 10), changing epoch 3's steps.
            var stop = new EarlyStopping("val_loss", patience: 5, restoreBestWeights: true);
            var plateau = new ReduceLROnPlateau("loss", factor: 0.5f, patience: 1, minDelta: 10);
            var callbacks = new List<ICallback> { stop, plateau };
            if (interrupt is not null) callbacks.Add(new Interrupter(b => interrupt(b, cancel)));
            History? history = null;
            try
            {
                history = model.Fit(Data, Batch, Epochs, schedule: LearningRateSchedule.WarmupCosine(0.5f), cancellation: cancel.Token,
                                    callbacks: callbacks, validationSplit: 0.2, augmentation: new Augmentation(1, flip: true),
                                    checkpoint: checkpoint, resumeFrom: resumeFrom);
            }
            catch (Exception e) when (interrupt is not null && e is OperationCanceledException or SimulatedCrash) { }
            return (model.Parameters.Select(p => p.Value.ToArray()).Concat(model.Buffers.Select(b => b.Value.ToArray())).ToArray(), history, model.Optimizer!.Steps,
                    $"best {stop.Best} at {stop.BestEpoch}, restored {stop.RestoredEpoch}; lowered {plateau.Reductions} times, best {plateau.Best}");
        }
        finally
        {
            owned?.Dispose();
        }
    }

    private sealed class Interrupter(Action<BatchResult> onBatch) : ICallback
    {
        public void OnBatchEnd(TrainingContext context, in BatchResult batch) => onBatch(batch);
    }

    private sealed class SimulatedCrash : Exception;

    private static void AssertSameBits(float[][] actual, float[][] expected)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        for (int i = 0; i < actual.Length; i++)
            Assert.That(MemoryMarshal.AsBytes(actual[i].AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(expected[i].AsSpan())), Is.True, $"parameter or buffer {i} differs");
    }

    private static void AssertSameHistory(History actual, History expected)
    {
        Assert.That(actual.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.ValidationAccuracy, e.LearningRate)),
                    Is.EqualTo(expected.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.ValidationAccuracy, e.LearningRate))));
    }

    private static IEnumerable<TestCaseData> Interruptions()
    {
        foreach (var device in new[] { "reference", "cpu" })
            foreach (var optimizer in new[] { "adam", "sgd" })
            {
                yield return new TestCaseData(device, optimizer, 2, 4, false).SetArgDisplayNames(device, optimizer, "cancelled mid-epoch 2");
                yield return new TestCaseData(device, optimizer, 1, 10, false).SetArgDisplayNames(device, optimizer, "cancelled after epoch 1's last batch");
                yield return new TestCaseData(device, optimizer, 3, 7, true).SetArgDisplayNames(device, optimizer, "crashed in epoch 3 after a mid-epoch checkpoint");
            }
    }

    [TestCaseSource(nameof(Interruptions))]
    public void AResumedRunEndsWithTheWeightsAndHistoryOfAnUninterruptedOne(string device, string optimizer, int epoch, int batch, bool crash)
        => ResumeEndsLikeAnUninterruptedRun(device, optimizer, epoch, batch, crash, Net);

    [TestCase("cpu", 2, 4, false)]
    [TestCase("cpu", 3, 7, true)]
    [TestCase("reference", 1, 10, false)]
    public void AResumedRunWithBatchNormEndsWithTheSameRunningStatistics(string device, int epoch, int batch, bool crash)
        => ResumeEndsLikeAnUninterruptedRun(device, "adam", epoch, batch, crash, BatchNormNet);

    private static void ResumeEndsLikeAnUninterruptedRun(string device, string optimizer, int epoch, int batch, bool crash, string net)
    {
        using var temp = new TempFolder();
        var reference = Train(device, optimizer, net: net);

        var checkpoint = new TrainingCheckpoint(temp.File("run.ckpt")) { EveryBatches = 3 };
        Train(device, optimizer, checkpoint, net: net, interrupt: (b, cancel) =>
        {
            if (b.Epoch != epoch || b.Batch != batch) return;
            if (crash) throw new SimulatedCrash();
            cancel.Cancel();
        });
        var position = CheckpointFile.Read(checkpoint.Path).Progress;
        // Cancelled: saved at the next batch to run; crashed: the last mid-epoch save (every 3 batches) before it.
        var expected = crash ? (epoch, batch / 3 * 3) : batch == 10 ? (epoch + 1, 0) : (epoch, batch);
        Assert.That((position.Epoch, position.Batch), Is.EqualTo(expected));

        var resumed = Train(device, optimizer, checkpoint, resumeFrom: checkpoint.Path, net: net);
        AssertSameBits(resumed.Weights, reference.Weights);
        AssertSameHistory(resumed.History!, reference.History!);
        Assert.That(resumed.Steps, Is.EqualTo(reference.Steps));
        Assert.That(resumed.Callbacks, Is.EqualTo(reference.Callbacks));
        Assert.That(reference.Callbacks, Does.Contain("lowered 2 times"));
        Assert.That(File.Exists(checkpoint.Path), Is.False, "the checkpoint is removed once training completes");
        Assert.That(Directory.GetFiles(temp.Path, "*.tmp*"), Is.Empty);
    }

    /// <summary>The kept checkpoint of a whole training run, as "run.ckpt" in <paramref name="temp"/>.</summary>
    private static TrainingCheckpoint FinishedRun(TempFolder temp, IDevice device)
    {
        var checkpoint = new TrainingCheckpoint(temp.File("run.ckpt")) { KeepWhenDone = true };
        Train("reference", "adam", checkpoint, shared: device);
        Assert.That(File.Exists(checkpoint.Path), Is.True, "kept when asked");
        return checkpoint;
    }

    [Test]
    public void ACheckpointOfAFinishedRunResumesToTheSameEnd()
    {
        using var temp = new TempFolder();
        using var device = Device.Create("reference");
        var checkpoint = new TrainingCheckpoint(temp.File("done.ckpt")) { KeepWhenDone = true };
        var first = Train("reference", "adam", checkpoint, shared: device);
        var again = Train("reference", "adam", checkpoint, resumeFrom: checkpoint.Path, shared: device);
        AssertSameBits(again.Weights, first.Weights);
        AssertSameHistory(again.History!, first.History!);
    }

    [Test]
    public void ACheckpointOfAnotherModelOrOtherDataIsRefusedNamingTheDifference()
    {
        using var temp = new TempFolder();
        using var device = Device.Create("reference");
        var checkpoint = FinishedRun(temp, device);

        using var other = ModelBuilder.Build("conv2k3ps-relu-maxpool2-flatten-dense16-relu-dropout0.3-dense3", device, Data.InputShape, seed: 11);
        other.Compile(new Adam(0.01f), Loss.CategoricalCrossEntropy);
        var ex = Assert.Throws<InvalidOperationException>(() => other.Fit(Data, Batch, Epochs, resumeFrom: checkpoint.Path));
        Assert.That(ex!.Message, Does.Contain("another training run").And.Contain("conv4k3ps").And.Contain("conv2k3ps").And.Contain("run.ckpt"));

        using var same = ModelBuilder.Build(Net, device, Data.InputShape, seed: 11);
        same.Compile(new Adam(0.01f), Loss.CategoricalCrossEntropy);
        var weights = same.Parameters.Select(p => p.Value.ToArray()).ToArray();
        ex = Assert.Throws<InvalidOperationException>(() => same.Fit(SyntheticData.Bars(100, seed: 8), Batch, Epochs, validationSplit: 0.2,
            schedule: LearningRateSchedule.WarmupCosine(0.5f), augmentation: new Augmentation(1, flip: true), resumeFrom: checkpoint.Path,
            callbacks: [new EarlyStopping("val_loss", patience: 5, restoreBestWeights: true), new ReduceLROnPlateau("loss", factor: 0.5f, patience: 1, minDelta: 10)]));
        Assert.That(ex!.Message, Does.Contain("data 100 × (1, 8, 8), 3 classes, sha256"));
        Assert.That(ex.Message, Does.Not.Contain("model"), "only what differs is named");
        AssertSameBits(same.Parameters.Select(p => p.Value.ToArray()).ToArray(), weights);
    }

    [Test]
    public void ADamagedCheckpointIsReportedAsSuch()
    {
        using var temp = new TempFolder();
        using var device = Device.Create("reference");
        var checkpoint = FinishedRun(temp, device);
        var bytes = File.ReadAllBytes(checkpoint.Path);
        File.WriteAllBytes(checkpoint.Path, bytes[..(bytes.Length / 2)]);
        using var model = ModelBuilder.Build(Net, device, Data.InputShape, seed: 11);
        model.Compile(new Adam(0.01f), Loss.CategoricalCrossEntropy);
        Assert.That(Assert.Throws<InvalidDataException>(() => model.Fit(Data, resumeFrom: checkpoint.Path))!.Message, Does.Contain("run.ckpt"));

        ModelFile.Save(model, checkpoint.Path);
        Assert.That(Assert.Throws<InvalidDataException>(() => model.Fit(Data, resumeFrom: checkpoint.Path))!.Message, Does.Contain("not a CnnNative training checkpoint"));
        Assert.Throws<FileNotFoundException>(() => model.Fit(Data, resumeFrom: temp.File("none.ckpt")));
    }

    [TestCase("adam", new[] { "m", "v" })]
    [TestCase("sgd", new[] { "velocity" })]
    public void OptimizerStateRoundTripsThroughTheHost(string kind, string[] parts)
    {
        using var device = Device.Create("reference");
        Sequential Make()
        {
            var m = ModelBuilder.Build("dense3", device, new Shape(4), seed: 1);
            m.Compile(kind == "adam" ? new Adam(0.1f) : new Sgd(0.1f, momentum: 0.5f), Loss.CategoricalCrossEntropy);
            return m;
        }
        using var a = Make();
        a.Fit(Dataset.FromArrays([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], new Shape(4), [0, 1, 2], 3), batchSize: 1, epochs: 2);
        var state = a.Optimizer!.ExportState();
        Assert.That(state.Keys.Order(), Is.EqualTo(parts.SelectMany(p => new[] { $"linear_1.bias.{p}", $"linear_1.weight.{p}" }).Order()));
        Assert.That(state.Values.All(v => v.Any(x => x != 0)), Is.True, "training filled the state");

        using var b = Make();
        b.Optimizer!.ImportState(state, a.Optimizer.Steps);
        Assert.That(b.Optimizer.ExportState(), Is.EqualTo(state));
        Assert.That(b.Optimizer.Steps, Is.EqualTo(6));

        var wrong = state.ToDictionary(kv => kv.Key, kv => kv.Value[..1]);
        Assert.That(Assert.Throws<ArgumentException>(() => b.Optimizer.ImportState(wrong, 1))!.Message, Does.Contain("holds 1 values"));
        Assert.Throws<ArgumentException>(() => b.Optimizer.ImportState(new Dictionary<string, float[]>(state) { ["x.m"] = [1] }, 1));
    }
}
