using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;
using CnnNative.Tests.Devices;

namespace CnnNative.Tests.Layers;

/// <summary>
/// BatchNorm and GlobalAvgPool2d as layers: training against inference mode, the running statistics (moved as PyTorch
/// moves them, never by the optimizer), names, shapes, the summary, and input ranks refused by name.
/// </summary>
public class BatchNormLayerTests
{
    private static float[] Values(int length, int seed, float offset = 0) => Compare.Random(length, seed, -2, 2).Select(v => v + offset).ToArray();

    [Test]
    public void TrainingUsesTheBatchAndMovesTheRunningStatisticsInferenceUsesThem()
    {
        using var device = Device.Create("reference");
        using var model = new Sequential(device, new Shape(2, 3, 3), seed: 1);
        var bn = new BatchNorm2d(momentum: 0.25f);
        model.Add(bn);
        var values = Values(4 * 18, 1, offset: 3);
        using var x = Tensor.FromSpan(device, new Shape(4, 2, 3, 3), values);

        var y = bn.Forward(x, training: true).ToArray();
        for (int c = 0; c < 2; c++)
        {
            var channel = Enumerable.Range(0, 4).SelectMany(i => values.Skip((i * 2 + c) * 9).Take(9)).Select(v => (double)v).ToArray();
            double mean = channel.Average(), variance = channel.Sum(v => (v - mean) * (v - mean)) / channel.Length;
            Assert.That(bn.RunningMean.Value.ToArray()[c], Is.EqualTo(0.25 * mean).Within(1e-6), "running mean moved a quarter of the way from 0");
            Assert.That(bn.RunningVar.Value.ToArray()[c], Is.EqualTo(0.75 + 0.25 * variance * 36 / 35).Within(1e-6), "with the unbiased variance");
            var normalised = Enumerable.Range(0, 4).SelectMany(i => y.Skip((i * 2 + c) * 9).Take(9)).ToArray();
            Assert.That(normalised.Average(), Is.EqualTo(0).Within(1e-5), "zero mean with γ = 1, β = 0");
            Assert.That(normalised.Select(v => (double)v * v).Average(), Is.EqualTo(variance / (variance + 1e-5)).Within(1e-5), "unit variance");
        }

        var runningMean = bn.RunningMean.Value.ToArray();
        var runningVar = bn.RunningVar.Value.ToArray();
        var inference = bn.Forward(x, training: false).ToArray();
        for (int i = 0; i < inference.Length; i++)
        {
            int c = i / 9 % 2;
            Assert.That(inference[i], Is.EqualTo((values[i] - runningMean[c]) / Math.Sqrt(runningVar[c] + 1e-5)).Within(1e-5), $"element {i}");
        }
        Assert.That(bn.RunningMean.Value.ToArray(), Is.EqualTo(runningMean), "inference leaves the running statistics alone");
        var e = Assert.Throws<InvalidOperationException>(() => bn.Backward(x))!;
        Assert.That(e.Message, Does.Contain("bn_1").And.Contain("training-mode Forward"));
    }

    [Test]
    public void AnOutputAtInferenceDoesNotDependOnTheRestOfTheBatch()
    {
        using var device = Device.Create("cpu", threads: 2);
        using var model = ModelBuilder.Build("conv4k3-bn-relu-gap-dense8-bn-dense3", device, new Shape(1, 6, 6), seed: 2);
        var images = Values(5 * 36, 3);
        using var x = Tensor.FromSpan(device, new Shape(5, 1, 6, 6), images);
        for (int step = 0; step < 3; step++) model.Forward(x, training: true);   // running statistics away from (0, 1)

        var together = model.Predict(images);
        var alone = model.Predict(images.AsSpan(2 * 36, 36));
        Assert.That(alone, Is.EqualTo(together.Skip(2 * 3).Take(3)).Within(1e-6f));
    }

    [Test]
    public void TheSpecTokenPicksTheKindByTheInputAndNamesParametersAndBuffers()
    {
        using var device = Device.Create("reference");
        using var model = ModelBuilder.Build("conv4k3-bn-relu-flatten-dense5-bne0.001m0.01-relu-dense3", device, new Shape(1, 6, 6));
        var norms = model.Layers.OfType<BatchNorm>().ToList();
        Assert.That(norms.Select(b => (b.Name, b.Kind)), Is.EqualTo(new[] { ("bn_1", "BatchNorm2d"), ("bn_2", "BatchNorm1d") }));
        Assert.That((norms[1].Eps, norms[1].Momentum), Is.EqualTo((1e-3f, 0.01f)));
        Assert.That(model.Spec, Is.EqualTo("conv4k3-bn-relu-flatten-dense5-bne0.001m0.01-relu-dense3-softmax"));
        Assert.That(norms[0].Parameters.Select(p => p.Name), Is.EqualTo(new[] { "bn_1.weight", "bn_1.bias" }));
        Assert.That(norms[0].Buffers.Select(b => b.Name), Is.EqualTo(new[] { "bn_1.running_mean", "bn_1.running_var" }));
        Assert.That(norms[0].Weight.Value.ToArray(), Is.All.EqualTo(1f), "γ starts at 1");
        Assert.That(norms[0].RunningVar.Value.ToArray(), Is.All.EqualTo(1f), "the running variance starts at 1");
        Assert.That(model.ParameterCount, Is.EqualTo(4 * 9 + 4 + 2 * 4 + 64 * 5 + 5 + 2 * 5 + 5 * 3 + 3));
        Assert.That(model.BufferCount, Is.EqualTo(2 * 4 + 2 * 5));
    }

    [TestCase(1, 1e-5f, 0.1f, "bn")]
    [TestCase(2, 0.001f, 0.1f, "bne0.001")]
    [TestCase(3, 1e-5f, 0.01f, "bnm0.01")]
    [TestCase(4, 2.5e-4f, 0.99f, "bne0.00025m0.99")]
    [TestCase(5, 1e-12f, 0f, "bne0.000000000001m0")]
    public void EpsAndMomentumTravelInTheSpecWithoutLoss(int @case, float eps, float momentum, string token)
    {
        var layer = new BatchNorm(eps, momentum);
        Assert.That(layer.Spec, Is.EqualTo(token));
        var parsed = (BatchNorm)ModelSpec.Parse(token, appendSoftmax: false).Single();
        Assert.That((parsed.Eps, parsed.Momentum), Is.EqualTo((eps, momentum)), $"case {@case}");
    }

    [Test]
    public void WrongRanksAndSettingsAreRefusedByName()
    {
        using var device = Device.Create("reference");
        using var image = new Sequential(device, new Shape(2, 4, 4));
        Assert.That(Assert.Throws<ArgumentException>(() => image.Add(new BatchNorm1d()))!.Message,
                    Does.Contain("bn_1").And.Contain("(features)").And.Contain("(2, 4, 4)"));
        using var flat = new Sequential(device, new Shape(7));
        Assert.That(Assert.Throws<ArgumentException>(() => flat.Add(new BatchNorm2d()))!.Message, Does.Contain("(channels, height, width)"));
        Assert.That(Assert.Throws<ArgumentException>(() => flat.Add(new GlobalAvgPool2d()))!.Message, Does.Contain("gap_1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new BatchNorm(eps: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new BatchNorm(eps: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new BatchNorm(momentum: 1.5f));
        Assert.That(Assert.Throws<FormatException>(() => ModelSpec.Parse("conv4k3-bne0-relu"))!.Message, Does.Contain("token 2").And.Contain("eps"));
        Assert.That(Assert.Throws<FormatException>(() => ModelSpec.Parse("dense4-bnm2"))!.Message, Does.Contain("token 2").And.Contain("momentum"));
        Assert.That(Assert.Throws<FormatException>(() => ModelSpec.Parse("dense4-bnx"))!.Message, Does.Contain("token 2").And.Contain("bn[eE][mM]"));
    }

    [Test]
    public void TheOptimizerTrainsGammaAndBetaAndNeverTouchesTheRunningStatistics()
    {
        using var device = Device.Create("reference");
        using var model = ModelBuilder.Build("flatten-dense6-bn-relu-dense3", device, new Shape(1, 2, 2), seed: 4);
        var optimizer = new Adam(lr: 0.1f);
        model.Compile(optimizer, Loss.CategoricalCrossEntropy);
        var bn = model.Layers.OfType<BatchNorm>().Single();
        Assert.That(optimizer.Parameters, Does.Contain(bn.Weight).And.Contain(bn.Bias));
        Assert.That(optimizer.Parameters.Select(p => p.Name), Has.None.Contains("running"));

        using var x = Tensor.FromSpan(device, new Shape(8, 1, 2, 2), Values(32, 5, offset: 1));
        using var t = Tensor.FromSpan(device, new Shape(8, 3), Compare.OneHot(8, 3, 6));
        var logits = model.ForwardLogits(x, training: true);
        model.ComputeLoss(logits, t);
        var (mean, variance) = (bn.RunningMean.Value.ToArray(), bn.RunningVar.Value.ToArray());
        var gamma = bn.Weight.Value.ToArray();
        optimizer.ZeroGrad();
        model.Backward();
        optimizer.Step();
        Assert.That(bn.Weight.Value.ToArray(), Is.Not.EqualTo(gamma), "γ trained");
        Assert.That(bn.RunningMean.Value.ToArray(), Is.EqualTo(mean), "the step leaves the running mean");
        Assert.That(bn.RunningVar.Value.ToArray(), Is.EqualTo(variance), "and the running variance");
    }

    [Test]
    public void TheSummaryCountsBuffersAsNonTrainableLikeKeras()
    {
        using var device = Device.Create("reference");
        using var model = ModelBuilder.Build("conv8k3-bn-relu-gap-dense10", device, new Shape(1, 28, 28));
        string summary = model.Summary();
        Assert.That(summary, Does.Contain("bn_1 (BatchNorm2d)").And.Contain("(None, 8, 26, 26)"));
        Assert.That(summary, Does.Contain("gap_1 (GlobalAvgPool2d)").And.Contain("(None, 8)"));
        var bnRow = summary.Split('\n').Single(l => l.StartsWith("bn_1"));
        Assert.That(bnRow.TrimEnd(), Does.EndWith(" 32"), "γ, β, running mean and variance: 4 × 8");
        long trainable = 8 * 9 + 8 + 2 * 8 + 8 * 10 + 10;
        Assert.That(summary, Does.Contain($"Total params: {trainable + 16:N0}").And.Contain($"Trainable params: {trainable:N0}")
                                 .And.Contain("Non-trainable params: 16"));
    }

    [Test]
    public void GlobalAveragePoolingGivesEachChannelsMean()
    {
        using var device = Device.Create("cpu", threads: 2);
        using var model = new Sequential(device, new Shape(3, 5, 7));
        model.Add(new GlobalAvgPool2d());
        var values = Values(2 * 3 * 35, 7);
        using var x = Tensor.FromSpan(device, new Shape(2, 3, 5, 7), values);
        var y = model.Forward(x);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 3)));
        var expected = Enumerable.Range(0, 6).Select(p => values.Skip(p * 35).Take(35).Select(v => (double)v).Average()).ToArray();
        Assert.That(y.ToArray(), Is.EqualTo(expected).Within(1e-6));
    }
}
