using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Tests.Devices.Conformance;
using CnnNative.Tests.Training;
using CnnNative.Training;

namespace CnnNative.Tests.Reliability;

/// <summary>
/// Issue 13, findings 4 and 5, the threading contract: one model serves Predict and Evaluate from many threads at
/// once, and so do models sharing one device, with exactly the results of one thread (finding 5: wrong probabilities
/// before); Fit is exclusive, and Predict beside training corrupts nothing (finding 4: the process aborted before).
/// </summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
public class ThreadingFindingTests(string deviceName)
{
    // Every kind of layer: convolution (same padding and not), batch norm in both ranks, both poolings, dropout
    // (identity at inference), dense layers and a final softmax.
    private const string Spec = "conv6k3ps-bn-relu-maxpool2-conv8k3-tanh-avgpool2-flatten-dropout0.3-dense16-bn-sigmoid-dense5-softmax";
    private static readonly Shape Input = new(1, 14, 14);
    private const int Threads = 8, Calls = 24;

    private static Sequential Build(IDevice device, int seed)
    {
        var model = ModelBuilder.Build(Spec, device, Input, seed);
        model.Compile(new Adam(0.01f), Loss.CategoricalCrossEntropy, Metric.Accuracy);
        return model;
    }

    /// <summary><paramref name="count"/> seeded images of values in [0, 1).</summary>
    private static float[] Images(int count, int seed)
    {
        var rng = new Random(seed);
        var values = new float[count * Input.Size];
        for (int i = 0; i < values.Length; i++) values[i] = rng.NextSingle();
        return values;
    }

    /// <summary>Call <paramref name="call"/> of thread <paramref name="thread"/>: its own images, count and batch size.</summary>
    private static (float[] Images, int BatchSize) CallOf(int thread, int call)
    {
        int count = 1 + (thread * 7 + call * 5) % 37;
        int[] batchSizes = [1, 4, 16, 256];
        return (Images(count, 1000 * thread + call), batchSizes[(thread + call) % batchSizes.Length]);
    }

    /// <summary>Runs <paramref name="work"/>(thread) on <paramref name="threads"/> threads started together; rethrows the first failure.</summary>
    private static void RunTogether(int threads, Action<int> work)
    {
        using var start = new Barrier(threads);
        var failures = new Exception?[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                work(t);
            }
            catch (Exception e)
            {
                failures[t] = e;
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        if (failures.FirstOrDefault(f => f is not null) is { } first) throw new AggregateException(first);
    }

    [Test]
    public void Finding5_PredictFromEightThreadsOnOneModelEqualsOneThreadBitForBit()
    {
        using var device = TestDevices.Create(deviceName);
        using var model = Build(device, seed: 3);
        var expected = new float[Threads, Calls][];
        for (int t = 0; t < Threads; t++)
            for (int c = 0; c < Calls; c++)
            {
                var (images, batch) = CallOf(t, c);
                expected[t, c] = model.Predict(images, batch);
            }

        var actual = new float[Threads, Calls][];
        RunTogether(Threads, t =>
        {
            for (int c = 0; c < Calls; c++)
            {
                var (images, batch) = CallOf(t, c);
                actual[t, c] = model.Predict(images, batch);
            }
        });
        for (int t = 0; t < Threads; t++)
            for (int c = 0; c < Calls; c++)
                Assert.That(actual[t, c], Is.EqualTo(expected[t, c]), $"thread {t}, call {c}");
    }

    [Test]
    public void Finding5_ModelsSharingOneDevicePredictFromEightThreadsAsFromOne()
    {
        using var device = TestDevices.Create(deviceName);
        using var a = Build(device, seed: 4);
        using var b = Build(device, seed: 5);
        Sequential ModelOf(int thread) => thread % 2 == 0 ? a : b;
        var expected = Enumerable.Range(0, Threads).Select(t => Enumerable.Range(0, Calls).Select(c =>
        {
            var (images, batch) = CallOf(t, c);
            return (float[])ModelOf(t).Predict(images, batch);
        }).ToArray()).ToArray();

        var actual = new float[Threads][][];
        RunTogether(Threads, t => actual[t] = Enumerable.Range(0, Calls).Select(c =>
        {
            var (images, batch) = CallOf(t, c);
            return (float[])ModelOf(t).Predict(images, batch);
        }).ToArray());
        for (int t = 0; t < Threads; t++)
            for (int c = 0; c < Calls; c++)
                Assert.That(actual[t][c], Is.EqualTo(expected[t][c]), $"thread {t} (model {(t % 2 == 0 ? "a" : "b")}), call {c}");
    }

    [Test]
    public void Finding5_EvaluateFromEightThreadsEqualsOneThread()
    {
        using var device = TestDevices.Create(deviceName);
        using var model = Build(device, seed: 6);
        var data = SyntheticData.Bars(90, classes: 5, size: 14, seed: 7);
        int[] batchSizes = [7, 32, 256, 90];
        var expected = batchSizes.Select(n => model.Evaluate(data, n, confusion: true)).ToArray();
        var actual = new Evaluation[Threads, 6];
        RunTogether(Threads, t =>
        {
            for (int c = 0; c < 6; c++) actual[t, c] = model.Evaluate(data, batchSizes[(t + c) % batchSizes.Length], confusion: true);
        });
        for (int t = 0; t < Threads; t++)
            for (int c = 0; c < 6; c++)
            {
                var want = expected[(t + c) % batchSizes.Length];
                Assert.That(actual[t, c].Loss, Is.EqualTo(want.Loss), $"thread {t}, call {c}: loss");
                Assert.That(actual[t, c].Accuracy, Is.EqualTo(want.Accuracy), $"thread {t}, call {c}: accuracy");
                Assert.That(actual[t, c].Confusion, Is.EqualTo(want.Confusion), $"thread {t}, call {c}: confusion matrix");
            }
    }

    [Test]
    public void Finding4_PredictAndEvaluateDuringFitThrowClearlyButRunFromTheFitThread()
    {
        using var device = TestDevices.Create(deviceName);
        using var model = Build(device, seed: 8);
        var train = SyntheticData.Bars(64, classes: 5, size: 14, seed: 9);
        var images = Images(3, 10);
        using var training = new ManualResetEventSlim();
        using var checkedFromOutside = new ManualResetEventSlim();
        float[]? fromCallback = null;
        var hold = new HoldFirstBatch(training, checkedFromOutside, m => fromCallback = m.Predict(images));
        var fit = new Thread(() => model.Fit(train, batchSize: 16, epochs: 1, callbacks: [hold]));
        fit.Start();
        try
        {
            Assert.That(training.Wait(TimeSpan.FromMinutes(2)), Is.True, "Fit reached its first batch");
            var predict = Assert.Throws<InvalidOperationException>(() => model.Predict(images))!;
            Assert.That(predict.Message, Does.Contain("Predict").And.Contain("Fit"));
            var evaluate = Assert.Throws<InvalidOperationException>(() => model.Evaluate(train))!;
            Assert.That(evaluate.Message, Does.Contain("Evaluate").And.Contain("Fit"));
            var fitAgain = Assert.Throws<InvalidOperationException>(() => model.Fit(train, epochs: 1))!;
            Assert.That(fitAgain.Message, Does.Contain("Fit"));
        }
        finally
        {
            checkedFromOutside.Set();
            fit.Join();
        }
        Assert.That(fromCallback, Is.Not.Null.And.Length.EqualTo(15), "Predict from a callback (the Fit thread) runs");
        var after = model.Predict(images);
        Assert.That(after, Has.Length.EqualTo(15), "after Fit returns, Predict runs again");
        Assert.That(after.All(float.IsFinite), Is.True);
    }

    [Test]
    public void Finding4_AnExplicitTrainingLoopBesidePredictsCorruptsNothing()
    {
        using var device = TestDevices.Create(deviceName);
        using var model = Build(device, seed: 11);
        var data = SyntheticData.Bars(48, classes: 5, size: 14, seed: 12);
        using var x = Tensor.FromSpan(device, Input.WithBatch(16), data.Take(16).Images);
        var oneHot = new float[16 * 5];
        for (int i = 0; i < 16; i++) oneHot[i * 5 + data.Label(i)] = 1;
        using var t = Tensor.FromSpan(device, new Shape(16, 5), oneHot);
        using var stop = new CancellationTokenSource();
        var outputs = new List<float[]>();
        RunTogether(4, thread =>
        {
            if (thread == 0)
            {
                // Stop the predicting threads even when training throws, so a failure fails the test instead of hanging it.
                try { TrainSteps(model, x, t, steps: 15); }
                finally { stop.Cancel(); }
                return;
            }
            var images = Images(1 + thread * 5, 20 + thread);
            while (!stop.IsCancellationRequested)
            {
                float[] p = model.Predict(images, batchSize: 4);
                lock (outputs) outputs.Add(p);
            }
        });
        Assert.That(outputs, Is.Not.Empty);
        foreach (var p in outputs)
            for (int row = 0; row < p.Length / 5; row++)
            {
                var probabilities = p.AsSpan(row * 5, 5).ToArray();
                Assert.That(probabilities.All(v => float.IsFinite(v) && v >= 0 && v <= 1), Is.True, $"row {row}: {string.Join(", ", probabilities)}");
                Assert.That(probabilities.Sum(), Is.EqualTo(1f).Within(1e-4f), $"row {row} is a distribution");
            }
    }

    [Test]
    public void Finding4_StressPredictAndEvaluateOnASharedDeviceWhileAnotherModelTrains()
    {
        using var device = TestDevices.Create(deviceName);
        using var served = Build(device, seed: 13);
        using var trained = Build(device, seed: 14);
        var train = SyntheticData.Bars(48, classes: 5, size: 14, seed: 15);
        var calls = Enumerable.Range(0, 12).Select(c => CallOf(c % Threads, c)).ToArray();
        var expected = calls.Select(c => served.Predict(c.Images, c.BatchSize)).ToArray();
        var expectedEvaluation = served.Evaluate(train, 20);
        var stopAt = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
        int fits = 0, checkedCalls = 0;
        RunTogether(Threads, t =>
        {
            if (t == 0)
            {
                // Short Fits one after another on the other model: the device's lock is shared with training.
                while (DateTime.UtcNow < stopAt)
                {
                    trained.Fit(train, batchSize: 16, epochs: 1);
                    Interlocked.Increment(ref fits);
                }
                return;
            }
            var rng = new Random(t);
            while (DateTime.UtcNow < stopAt)
            {
                int c = rng.Next(calls.Length + 1);
                if (c == calls.Length)
                {
                    var e = served.Evaluate(train, 20);
                    Assert.That((e.Loss, e.Accuracy), Is.EqualTo((expectedEvaluation.Loss, expectedEvaluation.Accuracy)), $"thread {t}: Evaluate");
                }
                else
                {
                    Assert.That(served.Predict(calls[c].Images, calls[c].BatchSize), Is.EqualTo(expected[c]), $"thread {t}: call {c}");
                }
                Interlocked.Increment(ref checkedCalls);
            }
        });
        Assert.That(fits, Is.GreaterThan(0), "the training thread ran");
        Assert.That(checkedCalls, Is.GreaterThan(Threads), "the inference threads ran");
        Assert.That(trained.Predict(calls[0].Images).All(float.IsFinite), Is.True, "the trained model still predicts");
    }

    /// <summary>Steps of the README's explicit loop on one batch.</summary>
    private static void TrainSteps(Sequential model, Tensor x, Tensor targets, int steps)
    {
        for (int s = 0; s < steps; s++)
        {
            var logits = model.ForwardLogits(x, training: true);
            model.ComputeLoss(logits, targets);
            model.Optimizer!.ZeroGrad();
            model.Backward();
            model.Optimizer.Step();
        }
    }

    /// <summary>Holds Fit in its first batch until the test has tried the calls it must refuse, and predicts from there.</summary>
    private sealed class HoldFirstBatch(ManualResetEventSlim training, ManualResetEventSlim release, Action<Sequential> onTrainingThread) : ICallback
    {
        private bool _held;

        public void OnBatchEnd(TrainingContext context, in BatchResult batch)
        {
            if (_held) return;
            _held = true;
            onTrainingThread(context.Model);
            training.Set();
            release.Wait(TimeSpan.FromMinutes(2));
        }
    }
}
