using CnnNative.Devices;
using static CnnNative.Tests.Devices.DeviceTestSupport;

namespace CnnNative.Tests.Devices.Conformance;

/// <summary>
/// Batch normalization on every device against the reference with realistic data: a training step (forward with the
/// batch's statistics, then backward from the statistics it saved), inference with running statistics, odd sizes,
/// batch 1, a large mean (where a one-pass variance would cancel), and a lone value per channel (batch 1 after a dense
/// layer: zero variance, y = β and dx = 0, as PyTorch computes it).
/// </summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
public class BatchNormConformanceTests(string device) : DeviceFixture(device)
{
    /// <summary>(n, channels, spatial) and the offset of the inputs' mean.</summary>
    public static IEnumerable<TestCaseData> Shapes()
    {
        (int N, int C, int S, float Mean)[] shapes =
        [
            (2, 3, 25, 0),          // 5×5 maps
            (1, 4, 49, 0.5f),       // batch 1, 7×7
            (5, 6, 784, -1),        // 28×28, several tasks
            (3, 7, 13, 2),          // odd everything
            (2, 5, 4, 0),           // 2×2 maps: shorter than a vector
            (8, 4, 64, 100),        // a large mean
            (3, 5, 1, 0),           // (N, features) after a dense layer
            (33, 19, 1, 3),         // features in whole vectors and a tail
            (1, 1, 9, 0),
        ];
        foreach (var (n, c, s, mean) in shapes)
            yield return new TestCaseData(n, c, s, mean).SetArgDisplayNames($"n={n} c={c} s={s} mean={mean}");
    }

    private const float Eps = 1e-5f, Momentum = 0.1f;

    private static float[] Inputs(int length, int seed, float mean) => Random(length, seed, 1.5f).Select(v => v + mean).ToArray();

    private static float[] Positive(int length, int seed) => Random(length, seed).Select(v => 1.25f + v).ToArray();

    /// <summary>Forward training then backward on one device: every buffer after each op.</summary>
    private static (float[][] Forward, float[][] Backward) TrainingStep(IDevice d, int n, int c, int s, float mean)
    {
        int len = n * c * s;
        float[] x = Inputs(len, 1, mean), gamma = Random(c, 2, 2), beta = Random(c, 3), rm = Random(c, 4), rv = Positive(c, 5);
        var forward = Run(d, [x, gamma, beta, new float[len], new float[c], new float[c], rm, rv],
                          (dev, b) => dev.BatchNormForwardTraining(n, c, s, Eps, Momentum, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]));
        float[] dy = Random(len, 6), dgamma = Random(c, 7), dbeta = Random(c, 8);
        var backward = Run(d, [x, dy, gamma, forward[4], forward[5], new float[len], dgamma, dbeta],
                           (dev, b) => dev.BatchNormBackward(n, c, s, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]));
        return (forward, backward);
    }

    [TestCaseSource(nameof(Shapes))]
    public void ATrainingStepMatchesReference(int n, int c, int s, float mean)
    {
        var (forward, backward) = TrainingStep(Pair.Device, n, c, s, mean);
        var (expectedForward, _) = TrainingStep(Pair.Reference, n, c, s, mean);
        string at = $"{DeviceName} n={n} c={c} s={s} mean={mean}";
        // The outputs are O(1); x − mean loses the inputs' last bits to the offset in float on every device.
        float atol = 2e-6f + 5e-7f * Math.Abs(mean);
        Compare.Close(forward[3], expectedForward[3], 1e-5f, atol, $"y {at}");
        Compare.Close(forward[4], expectedForward[4], 1e-6f, 1e-6f, $"saveMean {at}");
        Compare.Close(forward[5], expectedForward[5], 1e-5f, 0, $"saveInvStd {at}");
        Compare.Close(forward[6], expectedForward[6], 1e-6f, 1e-6f, $"runningMean {at}");
        Compare.Close(forward[7], expectedForward[7], 1e-5f, 1e-6f, $"runningVar {at}");

        // Backward from the statistics this device saved, against the reference on the same inputs.
        float[] x = Inputs(n * c * s, 1, mean), gamma = Random(c, 2, 2);
        float[] dy = Random(n * c * s, 6), dgamma = Random(c, 7), dbeta = Random(c, 8);
        var expected = Run(Pair.Reference, [x, dy, gamma, forward[4], forward[5], new float[n * c * s], dgamma, dbeta],
                           (dev, b) => dev.BatchNormBackward(n, c, s, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]));
        float sumTol = Compare.Reduction(2e-7f, (long)n * s);
        Compare.Close(backward[5], expected[5], 1e-4f, 1e-5f, $"dx {at}");
        Compare.Close(backward[6], expected[6], sumTol, sumTol, $"dgamma {at}");
        Compare.Close(backward[7], expected[7], sumTol, sumTol, $"dbeta {at}");
    }

    [TestCaseSource(nameof(Shapes))]
    public void InferenceMatchesReference(int n, int c, int s, float mean)
    {
        int len = n * c * s;
        float[] x = Inputs(len, 11, mean), gamma = Random(c, 12, 2), beta = Random(c, 13), rm = Random(c, 14).Select(v => v + mean).ToArray();
        float[] rv = Positive(c, 15);
        float[][] Infer(IDevice d) => Run(d, [x, gamma, beta, rm, rv, new float[len]],
                                          (dev, b) => dev.BatchNormForwardInference(n, c, s, Eps, b[0], b[1], b[2], b[3], b[4], b[5]));
        Compare.Close(Infer(Pair.Device)[5], Infer(Pair.Reference)[5], 1e-5f, 2e-6f + 5e-7f * Math.Abs(mean), $"{DeviceName} n={n} c={c} s={s}");
    }

    [Test]
    public void ALoneValuePerChannelGivesBetaAndNoInputGradientLikePyTorch()
    {
        const int c = 11;
        float[] x = Random(c, 21, 3), gamma = Random(c, 22, 2), beta = Random(c, 23), rv = Positive(c, 24);
        foreach (var d in new IDevice[] { Pair.Reference, Pair.Device })
        {
            var f = Run(d, [x, gamma, beta, new float[c], new float[c], new float[c], new float[c], rv],
                        (dev, b) => dev.BatchNormForwardTraining(1, c, 1, Eps, Momentum, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]));
            Assert.That(f[3], Is.EqualTo(beta), $"{d.Name}: y = β");
            Assert.That(f[4], Is.EqualTo(x), $"{d.Name}: the mean is the value");
            Compare.Close(f[7], rv.Select(v => (1 - Momentum) * v).ToArray(), 1e-6f, 0, $"{d.Name}: the variance estimate of one value is 0");
            float[] dy = Random(c, 25), dgamma = Random(c, 26), dbeta = Random(c, 27);
            var g = Run(d, [x, dy, gamma, f[4], f[5], new float[c], dgamma, dbeta],
                        (dev, b) => dev.BatchNormBackward(1, c, 1, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]));
            Assert.That(g[5], Is.All.EqualTo(0f), $"{d.Name}: dx = 0");
            Assert.That(g[6], Is.EqualTo(dgamma), $"{d.Name}: dγ unchanged (x̂ = 0)");
            Compare.Close(g[7], dbeta.Zip(dy, (a, b) => a + b).ToArray(), 1e-6f, 0, $"{d.Name}: dβ += dy");
        }
    }

    [Test]
    public void ATrainingStepRunTwiceGivesTheSameBits()
    {
        var (f1, b1) = TrainingStep(Pair.Device, 6, 10, 100, 1);
        var (f2, b2) = TrainingStep(Pair.Device, 6, 10, 100, 1);
        Compare.BitwiseEqual(f2, f1, $"{DeviceName} forward");
        Compare.BitwiseEqual(b2, b1, $"{DeviceName} backward");
    }

    [Test]
    public void OnlyTheNamedElementsAreWritten()
    {
        const int n = 3, c = 4, s = 5, len = n * c * s;
        var x = Pair.Put(Inputs(len, 31, 0));
        var gamma = Pair.Put(Random(c, 32));
        var beta = Pair.Put(Random(c, 33));
        var y = Pair.Put(new float[len], slack: 7);
        var mean = Pair.Put(new float[c], slack: 3);
        var invStd = Pair.Put(new float[c], slack: 3);
        var rm = Pair.Put(new float[c], slack: 3);
        var rv = Pair.Put(Positive(c, 34), slack: 3);
        Pair.Device.BatchNormForwardTraining(n, c, s, Eps, Momentum, x.dev, gamma.dev, beta.dev, y.dev, mean.dev, invStd.dev, rm.dev, rv.dev);
        Pair.Reference.BatchNormForwardTraining(n, c, s, Eps, Momentum, x.reference, gamma.reference, beta.reference, y.reference,
                                                mean.reference, invStd.reference, rm.reference, rv.reference);
        Pair.AssertClose(y, 1e-5f, 1e-5f, "BatchNormForwardTraining y");
        Pair.AssertClose(rv, 1e-5f, 1e-6f, "BatchNormForwardTraining runningVar");
        var dx = Pair.Put(new float[len], slack: 5);
        var dgamma = Pair.Put(new float[c], slack: 2);
        var dbeta = Pair.Put(new float[c], slack: 2);
        Pair.Device.BatchNormBackward(n, c, s, x.dev, y.dev, gamma.dev, mean.dev, invStd.dev, dx.dev, dgamma.dev, dbeta.dev);
        Pair.Reference.BatchNormBackward(n, c, s, x.reference, y.reference, gamma.reference, mean.reference, invStd.reference,
                                         dx.reference, dgamma.reference, dbeta.reference);
        Pair.AssertClose(dx, 1e-4f, 1e-5f, "BatchNormBackward dx");
        Pair.AssertClose(dgamma, 1e-5f, 1e-5f, "BatchNormBackward dgamma");
    }
}
