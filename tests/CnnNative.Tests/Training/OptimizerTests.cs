using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

/// <summary>SGD and Adam against steps computed by hand.</summary>
public class OptimizerTests
{
    public static IEnumerable<string> Devices => Layers.LayerGradientTests.Devices;

    private static Parameter MakeParameter(IDevice device, float value)
    {
        var p = new Parameter(device, "p", new Shape(1));
        device.Upload([value], p.Value.Buffer);
        return p;
    }

    private static float Run(IDevice device, Optimizer opt, float start, params float[] gradients)
    {
        using var p = MakeParameter(device, start);
        using var one = Tensor.FromSpan(device, new Shape(1), [1f]);
        opt.Attach([p]);
        foreach (float g in gradients)
        {
            opt.ZeroGrad();
            device.Axpy(1, g, one.Buffer, p.Gradient.Buffer);
            opt.Step();
        }
        return p.Value.ToArray()[0];
    }

    /// <summary>
    /// ZeroGrad leaves the dense layer's weight gradient to its GEMM (overwrite instead of add): after gradients from
    /// another batch, ZeroGrad and one Backward give exactly the gradient of that Backward alone, a second Backward
    /// adds to it, and a gradient read between ZeroGrad and Backward, or stepped without a Backward, is 0.
    /// </summary>
    [TestCaseSource(nameof(Devices))]
    public void ZeroGradThenBackwardGivesThatBackwardsGradientAlone(string deviceName)
    {
        using var device = Device.Create(deviceName, threads: 2);
        float[] Gradients(Sequential m) => m.Parameters.SelectMany(p => p.Gradient.ToArray()).ToArray();
        var rng = new Random(4);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
        using var model = new Sequential(device, new Shape(6), seed: 2);
        model.Add(new Linear(5)).Add(new ReLU()).Add(new Linear(3));
        using var opt = new Sgd(lr: 0.1f);
        model.Compile(opt, Loss.MeanSquaredError);
        using var x1 = Tensor.FromSpan(device, new Shape(4, 6), Values(24));
        using var x2 = Tensor.FromSpan(device, new Shape(4, 6), Values(24));
        using var r = Tensor.FromSpan(device, new Shape(4, 3), Values(12));

        model.Forward(x2, training: true);
        opt.ZeroGrad();
        model.Backward(r);
        var alone = Gradients(model);

        model.Forward(x1, training: true);
        model.Backward(r); // gradients of another batch accumulate on top
        opt.ZeroGrad();
        Assert.That(Gradients(model), Is.All.EqualTo(0f), "read after ZeroGrad");
        opt.ZeroGrad();
        model.Forward(x2, training: true);
        model.Backward(r);
        Assert.That(Gradients(model), Is.EqualTo(alone), "ZeroGrad, then one Backward");
        model.Backward(r);
        Assert.That(Gradients(model), Is.EqualTo(alone.Select(v => v + v).ToArray()).Within(1e-6f), "a second Backward adds");

        var before = model.Parameters.SelectMany(p => p.Value.ToArray()).ToArray();
        opt.ZeroGrad();
        opt.Step();
        Assert.That(model.Parameters.SelectMany(p => p.Value.ToArray()).ToArray(), Is.EqualTo(before), "a step on zeroed gradients moves nothing");
    }

    [TestCaseSource(nameof(Devices))]
    public void PlainSgdStepsAgainstTheGradient(string deviceName)
    {
        using var device = Device.Create(deviceName);
        using var opt = new Sgd(lr: 0.1f);
        Assert.That(Run(device, opt, 1f, 0.5f, 0.5f), Is.EqualTo(0.9f).Within(1e-6f));
    }

    [TestCaseSource(nameof(Devices))]
    public void SgdMomentumAccumulatesVelocity(string deviceName)
    {
        // v1 = 0.5, p1 = 1 − 0.05 = 0.95; v2 = 0.9·0.5 + 0.5 = 0.95, p2 = 0.95 − 0.095 = 0.855
        using var device = Device.Create(deviceName);
        using var opt = new Sgd(lr: 0.1f, momentum: 0.9f);
        Assert.That(Run(device, opt, 1f, 0.5f, 0.5f), Is.EqualTo(0.855f).Within(1e-6f));
    }

    [TestCaseSource(nameof(Devices))]
    public void SgdWeightDecayAddsTheL2Gradient(string deviceName)
    {
        // g = 0 + 0.1·2 = 0.2; p = 2 − 0.5·0.2 = 1.9
        using var device = Device.Create(deviceName);
        using var opt = new Sgd(lr: 0.5f, weightDecay: 0.1f);
        Assert.That(Run(device, opt, 2f, 0f), Is.EqualTo(1.9f).Within(1e-6f));
    }

    [TestCaseSource(nameof(Devices))]
    public void AdamFirstStepsMatchTheHandComputation(string deviceName)
    {
        // Step 1: m̂ = g, v̂ = g², so p = 1 − 0.1·0.5/0.5 = 0.9.
        // Step 2 (g = −0.5): m = 0.045 − 0.05 = −0.005, v = 0.999·0.00025 + 0.001·0.25 = 0.00049975,
        // m̂ = −0.005/0.19 = −0.0263158, v̂ = 0.00049975/0.001999 = 0.25, p = 0.9 + 0.1·0.0263158/0.5 = 0.9052632.
        using var device = Device.Create(deviceName);
        using var opt = new Adam(lr: 0.1f);
        Assert.That(Run(device, opt, 1f, 0.5f), Is.EqualTo(0.9f).Within(1e-6f));
        using var opt2 = new Adam(lr: 0.1f);
        Assert.That(Run(device, opt2, 1f, 0.5f, -0.5f), Is.EqualTo(0.9052632f).Within(1e-6f));
    }

    [Test]
    public void InvalidSettingsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Sgd(lr: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Sgd(lr: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Sgd(momentum: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Adam(beta1: 1));
        Assert.Throws<InvalidOperationException>(() => new Adam().Step());
    }
}

public class LearningRateScheduleTests
{
    [Test]
    public void CosineFallsFromTheBaseRateTowardsTheFinalFactor()
    {
        var cosine = LearningRateSchedule.Cosine();
        var rates = Enumerable.Range(0, 100).Select(s => cosine.At(s, 100, 0.1f)).ToArray();
        Assert.That(rates[0], Is.EqualTo(0.1f).Within(1e-4f));
        Assert.That(rates[50], Is.EqualTo(0.05f).Within(2e-3f));
        Assert.That(rates[99], Is.GreaterThan(0f).And.LessThan(1e-4f));
        Assert.That(rates, Is.Ordered.Descending);
        Assert.That(LearningRateSchedule.Cosine(0.1f).At(99, 100, 1f), Is.EqualTo(0.1f).Within(1e-3f));
    }

    [Test]
    public void FitAppliesTheScheduleAndRestoresTheBaseRate()
    {
        using var device = CnnNative.Devices.Device.Create("reference");
        var data = SyntheticData.Bars(64);
        float[] Train(LearningRateSchedule schedule)
        {
            using var model = CnnNative.Models.ModelBuilder.Build("conv2k3-relu-dense3", device, data.InputShape, seed: 2);
            model.Compile(new Sgd(lr: 0.05f), Loss.CategoricalCrossEntropy);
            model.Fit(data, batchSize: 16, epochs: 2, schedule: schedule);
            Assert.That(model.Optimizer!.LearningRate, Is.EqualTo(0.05f), "base rate restored");
            return model.Parameters.SelectMany(p => p.Value.ToArray()).ToArray();
        }
        Assert.That(Train(LearningRateSchedule.Cosine()), Is.Not.EqualTo(Train(LearningRateSchedule.Constant)));
    }

    [Test]
    public void UnknownNamesAreRejected()
        => Assert.That(Assert.Throws<ArgumentException>(() => LearningRateSchedule.FromName("linear"))!.Message, Does.Contain("cosine"));

    [Test]
    public void StepMultipliesByGammaEveryFewEpochs()
    {
        var step = LearningRateSchedule.Step(everyEpochs: 2, gamma: 0.5f);
        // 10 steps per epoch, 6 epochs.
        var rates = Enumerable.Range(0, 60).Select(s => step.At(s, 60, 0.8f, stepsPerEpoch: 10)).ToArray();
        Assert.That(rates.Take(20), Is.All.EqualTo(0.8f));
        Assert.That(rates.Skip(20).Take(20), Is.All.EqualTo(0.4f));
        Assert.That(rates.Skip(40), Is.All.EqualTo(0.2f));
        Assert.That(step.Spec, Is.EqualTo("step(every=2,gamma=0.5)"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => step.At(0, 60, 1f))!.Message, Does.Contain("stepsPerEpoch"));
        Assert.That(Assert.Throws<ArgumentException>(() => LearningRateSchedule.FromName("step"))!.Message, Does.Contain("Step(everyEpochs"));
    }

    [Test]
    public void OneCycleRisesFromAFractionOfThePeakToItThenFallsFarBelowTheStart()
    {
        var onecycle = LearningRateSchedule.OneCycle(warmupFraction: 0.3f, divFactor: 25, finalDivFactor: 1e4f);
        var rates = Enumerable.Range(0, 100).Select(s => onecycle.At(s, 100, 1f)).ToArray();
        Assert.That(rates[0], Is.EqualTo(1f / 25).Within(1e-6f));
        Assert.That(rates.Max(), Is.EqualTo(1f).Within(1e-6f));
        Assert.That(Array.IndexOf(rates, rates.Max()), Is.EqualTo(29), "PyTorch's peak: step 0.3·T − 1");
        Assert.That(rates.Take(30), Is.Ordered.Ascending);
        Assert.That(rates.Skip(29), Is.Ordered.Descending);
        Assert.That(rates[99], Is.EqualTo(1f / 25 / 1e4f).Within(1e-9f));
    }

    [Test]
    public void WarmupCosineRisesLinearlyThenFollowsACosine()
    {
        var schedule = LearningRateSchedule.WarmupCosine(warmupEpochs: 1.5f);
        // 10 steps per epoch, 5 epochs: 15 warm-up steps.
        var rates = Enumerable.Range(0, 50).Select(s => schedule.At(s, 50, 0.3f, stepsPerEpoch: 10)).ToArray();
        for (int s = 0; s < 15; s++) Assert.That(rates[s], Is.EqualTo(0.3f * (s + 1) / 15).Within(1e-6f), $"step {s}");
        Assert.That(rates.Skip(14), Is.Ordered.Descending);
        Assert.That(rates[49], Is.GreaterThan(0f).And.LessThan(1e-3f));
        Assert.That(LearningRateSchedule.FromName("warmup-cosine").Spec, Is.EqualTo("warmup-cosine(warmup_epochs=1)"));
    }

    [Test]
    public void FitGivesTheEpochSchedulesTheBatchesPerEpoch()
    {
        using var device = CnnNative.Devices.Device.Create("reference");
        using var model = CnnNative.Models.ModelBuilder.Build("dense3", device, new CnnNative.Tensors.Shape(1, 8, 8), seed: 2);
        model.Compile(new Sgd(lr: 0.1f), Loss.CategoricalCrossEntropy);
        var history = model.Fit(SyntheticData.Bars(64), batchSize: 16, epochs: 3, schedule: LearningRateSchedule.Step(1, 0.5f));
        Assert.That(history.Epochs.Select(e => e.LearningRate), Is.EqualTo(new[] { 0.1f, 0.05f, 0.025f }));
    }
}
