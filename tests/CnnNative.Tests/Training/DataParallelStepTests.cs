using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

/// <summary>
/// The data-parallel step (Training/DataParallelStep.cs) on the cpu device's lanes: the shards' summed gradients are
/// the batch's, Fit with it tracks Fit without it, it is deterministic at a fixed thread count, it allocates nothing
/// once warm, and it stays out of the way where it does not apply.
/// </summary>
[Category(CnnNative.Tests.Devices.Conformance.TestDevices.CpuCategory)]
public class DataParallelStepTests
{
    private const string SmallConv = "conv6k3-relu-maxpool2-conv8k3-relu-avgpool2-flatten-dense12-relu-dense3";
    private const string Dense = "flatten-dense16-relu-dense3";

    private static CpuDevice Cpu(int threads, bool parallel = true)
        => new(new CpuDeviceOptions { Threads = threads, Paths = parallel ? CpuPaths.All : CpuPaths.All & ~CpuPaths.DataParallelSteps });

    private static Sequential Build(IDevice device, string spec, Loss loss, int size = 12)
    {
        var model = ModelBuilder.Build(spec, device, new Shape(1, size, size), seed: 5);
        model.Compile(new Sgd(lr: 0.05f), loss);
        return model;
    }

    private static int Top(Sequential model, Loss loss) => loss.TakesLogits && model.EndsInSoftmax ? model.Layers.Count - 1 : model.Layers.Count;

    private static float[][] Gradients(Sequential model) => model.Parameters.Select(p => p.Gradient.ToArray()).ToArray();

    private static float[][] Weights(Sequential model) => model.Parameters.Select(p => p.Value.ToArray()).ToArray();

    public static IEnumerable<TestCaseData> Steps()
    {
        foreach (var (spec, name) in new[] { (SmallConv, "conv"), (Dense, "dense") })
            foreach (var loss in new[] { Loss.CategoricalCrossEntropy, Loss.MeanSquaredError })
                foreach (int rows in new[] { 16, 17, 33, 64 })
                    foreach (int threads in new[] { 2, 3 })
                        yield return new TestCaseData(spec, loss, rows, threads).SetName($"{name} {loss.Name} rows {rows} threads {threads}");
    }

    /// <summary>Uneven shards (17, 33 rows), two and three lanes, both losses, a model with and without Softmax after the logits.</summary>
    [TestCaseSource(nameof(Steps))]
    public void TheShardsGradientsAddUpToTheBatchsGradient(string spec, Loss loss, int rows, int threads)
    {
        var data = SyntheticData.Bars(rows, size: 12);
        var batch = new CnnNative.Data.DataLoader(data, rows, shuffle: false).GetBatch(0, 0);
        using var single = Cpu(threads, parallel: false);
        using var lanes = Cpu(threads);
        using var a = Build(single, spec, loss);
        using var b = Build(lanes, spec, loss);

        using var x = Tensor.FromSpan(single, a.InputShape.WithBatch(rows), batch.Images);
        using var t = Tensor.FromSpan(single, new Shape(rows, 3), batch.OneHotTargets);
        var output = Top(a, loss) < a.Layers.Count ? a.ForwardLogits(x, training: true) : a.Forward(x, training: true);
        float expectedLoss = a.ComputeLoss(output, t);
        long expectedCorrect = single.CountCorrect(rows, 3, output.Buffer, t.Buffer);
        a.Optimizer!.ZeroGrad();
        a.Backward();

        var step = b.DataParallel(Top(b, loss), loss);
        Assert.That(step, Is.Not.Null);
        Assert.That(step!.ShardsFor(rows), Is.EqualTo(Math.Min(threads, rows / DataParallelStep.MinShardRows)));
        var (actualLoss, correct) = step.Run(batch.Images, batch.OneHotTargets, rows, countCorrect: true);
        b.Optimizer!.ZeroGrad();
        step.AddGradients();

        Assert.That(actualLoss, Is.EqualTo(expectedLoss).Within(1e-6 * Math.Abs(expectedLoss) + 1e-7));
        Assert.That(correct, Is.EqualTo(expectedCorrect));
        var expected = Gradients(a);
        var actual = Gradients(b);
        for (int i = 0; i < expected.Length; i++)
        {
            float scale = expected[i].Max(MathF.Abs) + 1e-6f;
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(2e-5f * scale), $"gradient of {b.Parameters.ElementAt(i).Name}");
        }
    }

    /// <summary>Shards gathering their own rows from the loader (as Fit runs them) compute what they do from a whole batch.</summary>
    [Test]
    public void ShardsGatheringTheirOwnRowsGiveTheSameBits()
    {
        var data = SyntheticData.Bars(100, size: 12);
        var loader = new CnnNative.Data.DataLoader(data, 45, seed: 3, augmentation: new CnnNative.Data.Augmentation(1)); // 45, 45, 10
        using var cpu = Cpu(2);
        using var a = Build(cpu, SmallConv, Loss.CategoricalCrossEntropy);
        using var b = Build(cpu, SmallConv, Loss.CategoricalCrossEntropy);
        var sa = a.DataParallel(a.Layers.Count - 1, Loss.CategoricalCrossEntropy)!;
        var sb = b.DataParallel(b.Layers.Count - 1, Loss.CategoricalCrossEntropy)!;
        var batch = loader.GetBatch(1, 1);
        var (lossA, correctA) = sa.Run(batch.Images, batch.OneHotTargets, batch.Count, countCorrect: true);
        var (lossB, correctB) = sb.Run(loader, 1, 1, countCorrect: true);
        a.Optimizer!.ZeroGrad();
        sa.AddGradients();
        b.Optimizer!.ZeroGrad();
        sb.AddGradients();
        Assert.That((lossB, correctB), Is.EqualTo((lossA, correctA)));
        Assert.That(Gradients(b), Is.EqualTo(Gradients(a)));
        Assert.Throws<ArgumentOutOfRangeException>(() => sb.Run(loader, 1, 2, countCorrect: false), "10 rows make no two shards of 8");
    }

    [Test]
    public void WithoutZeroGradTheShardsGradientsAccumulateAsBackwardsDo()
    {
        var data = SyntheticData.Bars(32, size: 12);
        var batch = new CnnNative.Data.DataLoader(data, 32, shuffle: false).GetBatch(0, 0);
        using var cpu = Cpu(2);
        using var model = Build(cpu, SmallConv, Loss.CategoricalCrossEntropy);
        var step = model.DataParallel(model.Layers.Count - 1, Loss.CategoricalCrossEntropy)!;
        step.Run(batch.Images, batch.OneHotTargets, 32, countCorrect: false);
        model.Optimizer!.ZeroGrad();
        step.AddGradients();
        var once = Gradients(model);
        step.AddGradients();
        var twice = Gradients(model);
        for (int i = 0; i < once.Length; i++)
            Assert.That(twice[i], Is.EqualTo(once[i].Select(v => 2 * v)).Within(1e-6f * (once[i].Max(MathF.Abs) + 1e-6f)));
    }

    [Test]
    public void FitWithShardsTracksFitWithoutThem()
    {
        var data = SyntheticData.Bars(192, size: 12);
        (float[][] Weights, History History, double Accuracy) Train(bool parallel)
        {
            using var cpu = Cpu(2, parallel);
            using var model = Build(cpu, SmallConv, Loss.CategoricalCrossEntropy);
            var history = model.Fit(data, batchSize: 32, epochs: 3);
            return (Weights(model), history, model.Evaluate(data).Accuracy);
        }
        var (w0, h0, a0) = Train(parallel: false);
        var (w1, h1, a1) = Train(parallel: true);
        for (int i = 0; i < w0.Length; i++)
            Assert.That(w1[i], Is.EqualTo(w0[i]).Within(1e-3f * (w0[i].Max(MathF.Abs) + 1e-3f)), $"parameter {i}");
        Assert.That(h1.Epochs.Select(e => e.TrainLoss), Is.EqualTo(h0.Epochs.Select(e => e.TrainLoss)).Within(1e-3));
        Assert.That(a1, Is.EqualTo(a0).Within(1.0 / 192 + 1e-9));
        Assert.That(a1, Is.GreaterThan(0.5), "the bars are being learnt (chance: 1/3)");
    }

    [Test]
    public void TheSameThreadCountGivesTheSameBits()
    {
        var data = SyntheticData.Bars(100, size: 12); // batches of 24 and a last one of 4 (one stream)
        float[][] Train()
        {
            using var cpu = Cpu(2);
            using var model = Build(cpu, SmallConv, Loss.CategoricalCrossEntropy);
            model.Fit(data, batchSize: 24, epochs: 2);
            return Weights(model);
        }
        Assert.That(Train(), Is.EqualTo(Train()));
    }

    /// <summary>Two models training at once on one device share its lanes, one step at a time, and train as if alone.</summary>
    [Test]
    public void TwoFitsSharingADevicesLanesTrainAsIfAlone()
    {
        var data = SyntheticData.Bars(96, size: 12);
        using var cpu = Cpu(2);
        float[][] Train(Sequential model)
        {
            model.Fit(data, batchSize: 32, epochs: 2);
            return Weights(model);
        }
        float[][] alone;
        using (var model = Build(cpu, SmallConv, Loss.CategoricalCrossEntropy)) alone = Train(model);
        using var a = Build(cpu, SmallConv, Loss.CategoricalCrossEntropy);
        using var b = Build(cpu, SmallConv, Loss.CategoricalCrossEntropy);
        var ta = Task.Run(() => Train(a));
        var tb = Task.Run(() => Train(b));
        Assert.That(ta.Result, Is.EqualTo(alone));
        Assert.That(tb.Result, Is.EqualTo(alone));
    }

    [Test]
    public void ALossThatBecomesNaNStopsTrainingBeforeTheWeightsChange()
    {
        using var cpu = Cpu(2);
        using var model = ModelBuilder.Build(SmallConv, cpu, new Shape(1, 12, 12), seed: 5);
        model.Compile(new Sgd(lr: 1e30f), Loss.CategoricalCrossEntropy);
        Assert.That(model.DataParallel(model.Layers.Count - 1, Loss.CategoricalCrossEntropy), Is.Not.Null);
        var ex = Assert.Throws<TrainingDivergedException>(() => model.Fit(SyntheticData.Bars(128, size: 12), batchSize: 32, epochs: 3));
        Assert.That(ex!.Message, Does.Match(@"epoch \d+, batch \d+ of 4"));
        Assert.That(model.Parameters.All(p => p.Value.ToArray().All(float.IsFinite)), Is.True, "the diverging batch did not update the weights");
    }

    public static IEnumerable<TestCaseData> NotTaken()
    {
        yield return new TestCaseData("reference", 2, SmallConv).SetName("the reference device");
        yield return new TestCaseData("cpu", 1, SmallConv).SetName("one thread");
        yield return new TestCaseData("cpu-no-lanes", 2, SmallConv).SetName("the path left out");
        yield return new TestCaseData("cpu", 2, "conv6k3-bn-relu-flatten-dense3").SetName("batch norm");
        yield return new TestCaseData("cpu", 2, "flatten-dense16-relu-dropout0.5-dense3").SetName("dropout");
        yield return new TestCaseData("cpu", 2, "flatten-dense8000-dense3").SetName("over a million parameters");
    }

    [TestCaseSource(nameof(NotTaken))]
    public void ItStaysOutWhereItDoesNotApply(string device, int threads, string spec)
    {
        using IDevice d = device switch
        {
            "cpu" => Cpu(threads),
            "cpu-no-lanes" => Cpu(threads, parallel: false),
            _ => Device.Create(device),
        };
        using var model = Build(d, spec, Loss.CategoricalCrossEntropy);
        Assert.That(model.DataParallel(model.Layers.Count - 1, Loss.CategoricalCrossEntropy), Is.Null);
        model.Fit(SyntheticData.Bars(40, size: 12), batchSize: 20, epochs: 1); // and Fit trains as before
    }

    [Test]
    public void BatchesTooSmallToShardTakeTheSingleStream()
    {
        using var cpu = Cpu(2);
        using var model = Build(cpu, Dense, Loss.CategoricalCrossEntropy);
        var step = model.DataParallel(model.Layers.Count - 1, Loss.CategoricalCrossEntropy)!;
        Assert.That(step.ShardsFor(15), Is.EqualTo(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => step.Run(new float[15 * 144], new float[15 * 3], 15, false));
        var history = model.Fit(SyntheticData.Bars(45, size: 12), batchSize: 15, epochs: 1);
        Assert.That(history.Epochs[0].TrainLoss, Is.GreaterThan(0));
    }

    /// <summary>Either step, as shards or as one stream of the model's layers (whose checks once built a string per call).</summary>
    [TestCase(true)]
    [TestCase(false)]
    public void AWarmStepAllocatesNothing(bool parallel)
    {
        var data = SyntheticData.Bars(64, size: 12);
        var batch = new CnnNative.Data.DataLoader(data, 64, shuffle: false).GetBatch(0, 0);
        var images = batch.Images.ToArray();
        var targets = batch.OneHotTargets.ToArray();
        using var cpu = Cpu(2, parallel);
        using var model = ModelBuilder.Build(SmallConv, cpu, new Shape(1, 12, 12), seed: 5);
        model.Compile(new Adam(), Loss.CategoricalCrossEntropy);
        var step = model.DataParallel(model.Layers.Count - 1, Loss.CategoricalCrossEntropy);
        Assert.That(step is not null, Is.EqualTo(parallel));
        using var x = Tensor.FromSpan(cpu, model.InputShape.WithBatch(64), images);
        using var t = Tensor.FromSpan(cpu, new Shape(64, 3), targets);
        void Step()
        {
            if (step is not null) step.Run(images, targets, 64, countCorrect: true);
            else model.ComputeLoss(model.ForwardLogits(x, training: true), t);
            model.Optimizer!.ZeroGrad();
            if (step is not null) step.AddGradients();
            else model.Backward();
            model.Optimizer!.Step();
        }
        SteadyState.AssertStepsAllocateNothing(Step);
    }
}

/// <summary>The cpu device's lanes and its shard sum, the device side of the data-parallel step.</summary>
[Category(CnnNative.Tests.Devices.Conformance.TestDevices.CpuCategory)]
public class CpuLaneTests
{
    [Test]
    public void ALaneTakesItsHomesBuffersAndTheHomeTakesItsLanes_NoOtherDevicesBuffers()
    {
        using var cpu = new CpuDevice(2);
        using var other = new CpuDevice(2);
        var lane = cpu.Lanes[1];
        using var home = cpu.Allocate(4);
        using var own = lane.Allocate(4);
        using var foreign = other.Allocate(4);
        cpu.Upload([1, 2, 3, 4], home);
        lane.Copy(home, own, 4);
        cpu.Axpy(4, 2, own, home);
        Assert.That(home.ToArrayOn(cpu), Is.EqualTo(new[] { 3f, 6, 9, 12 }));
        var ex = Assert.Throws<ArgumentException>(() => lane.Copy(foreign, own, 4));
        Assert.That(ex!.Message, Does.Contain("belongs to another 'cpu' device instance"));
        Assert.Throws<ArgumentException>(() => other.Lanes[0].Copy(home, foreign, 4));
    }

    [Test]
    public void LanesExistOnlyWhereTheyCanRun()
    {
        using var two = new CpuDevice(2);
        using var three = new CpuDevice(3);
        using var one = new CpuDevice(1);
        using var off = new CpuDevice(new CpuDeviceOptions { Threads = 2, Paths = CpuPaths.All & ~CpuPaths.DataParallelSteps });
        Assert.That(two.Lanes, Has.Count.EqualTo(2));
        Assert.That(three.Lanes, Has.Count.EqualTo(3));
        Assert.That(one.Lanes, Is.Empty);
        Assert.That(off.Lanes, Is.Empty);
        Assert.That(two.Lanes[0].Lanes, Is.Empty, "a lane has no lanes");
        Assert.That(two.Lanes[0].Threads, Is.EqualTo(1));
        Assert.That(two.Lanes, Is.SameAs(two.Lanes), "made once");
    }

    [Test]
    public void RunOnLanesRunsEachLaneOnceAndPassesOnAnException()
    {
        using var cpu = new CpuDevice(2);
        _ = cpu.Lanes;
        var ran = new int[2];
        cpu.RunOnLanes(2, lane => Interlocked.Increment(ref ran[lane]));
        Assert.That(ran, Is.EqualTo(new[] { 1, 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => cpu.RunOnLanes(3, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => cpu.RunOnLanes(0, _ => { }));
        var ex = Assert.Throws<InvalidOperationException>(() => cpu.RunOnLanes(2, lane => { if (lane == 1) throw new InvalidOperationException("lane 1 failed"); }));
        Assert.That(ex!.Message, Is.EqualTo("lane 1 failed"));
        cpu.RunOnLanes(2, lane => Interlocked.Increment(ref ran[lane])); // usable after a failure
        Assert.That(ran, Is.EqualTo(new[] { 2, 2 }));
    }

    [TestCase(1, true)]
    [TestCase(2, false)]
    [TestCase(2, true)]
    [TestCase(3, true)]
    public void SumShardsAddsTheWeightedPartsInOrder(int threads, bool keep)
    {
        using var cpu = new CpuDevice(threads);
        int[] lengths = [1, 7, 16384, 40003]; // a scalar tail, under a vector, one chunk exactly, three chunks and a tail
        float[] weights = [0.5f, 0.25f, 0.25f];
        var rng = new Random(3);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
        var targets = lengths.Select(n => Random(n)).ToArray();
        var parts = lengths.SelectMany(n => weights.Select(_ => Random(n))).ToArray();
        var tb = targets.Select(v => { var b = cpu.Allocate(v.Length); cpu.Upload(v, b); return b; }).ToArray();
        var pb = parts.Select(v => { var b = cpu.Allocate(v.Length); cpu.Upload(v, b); return b; }).ToArray();
        cpu.SumShards(tb, lengths.Select(_ => keep).ToArray(), lengths, pb, weights);
        for (int i = 0; i < lengths.Length; i++)
        {
            var expected = new float[lengths[i]];
            for (int j = 0; j < lengths[i]; j++)
            {
                float acc = keep ? targets[i][j] : 0f;
                for (int s = 0; s < weights.Length; s++) acc += weights[s] * parts[i * weights.Length + s][j];
                expected[j] = acc;
            }
            Assert.That(tb[i].ToArrayOn(cpu), Is.EqualTo(expected), $"target {i}");
        }
        Assert.Throws<ArgumentException>(() => cpu.SumShards(tb, [true], lengths, pb, weights));
    }
}

internal static class LaneTestBuffers
{
    public static float[] ToArrayOn(this DeviceBuffer buffer, IDevice device)
    {
        var values = new float[buffer.Length];
        device.Download(buffer, values);
        return values;
    }
}
