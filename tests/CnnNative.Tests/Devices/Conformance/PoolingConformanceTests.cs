using CnnNative.Devices;

namespace CnnNative.Tests.Devices.Conformance;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
public class PoolingConformanceTests(string device) : DeviceFixture(device)
{
    public static IEnumerable<TestCaseData> Cases()
    {
        Pool2dGeometry[] shapes =
        [
            new(1, 1, 4, 4, 2, 2, 2, 2),
            new(2, 3, 7, 7, 2, 2, 2, 2),      // odd input: the last row and column are not covered
            new(1, 2, 9, 9, 3, 3, 2, 2),      // overlapping F=3, S=2
            new(3, 5, 8, 6, 2, 3, 2, 1),      // rectangular window and stride
            new(1, 1, 28, 28, 2, 2, 2, 2),
            new(2, 4, 13, 13, 3, 3, 2, 2),
            new(2, 17, 14, 14, 2, 2, 2, 2),
            new(1, 3, 5, 5, 5, 5, 1, 1),      // window = whole input
        ];
        foreach (var g in shapes)
            foreach (var mode in new[] { PoolMode.Max, PoolMode.Average })
                yield return new TestCaseData(g, mode).SetArgDisplayNames(g.ToString(), mode.ToString());
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardMatchesReference(Pool2dGeometry g, PoolMode mode)
    {
        var x = Pair.Put(Compare.Random(g.InputLength, 1, -5, 5));
        var y = Pair.Put(new float[g.OutputLength], slack: 4);
        Pair.Device.Pool2dForward(g, mode, x.dev, y.dev);
        Pair.Reference.Pool2dForward(g, mode, x.reference, y.reference);
        Pair.AssertClose(y, 1e-6f, 1e-6f, $"Pool2dForward {mode} {g}");
    }

    [TestCaseSource(nameof(Cases))]
    public void BackwardMatchesReference(Pool2dGeometry g, PoolMode mode)
    {
        var x = Pair.Put(Compare.Random(g.InputLength, 2, -5, 5));
        var dy = Pair.Put(Compare.Random(g.OutputLength, 3));
        var dx = Pair.Put(Compare.Random(g.InputLength, 4, 100, 200), slack: 4);
        Pair.Device.Pool2dBackward(g, mode, x.dev, dy.dev, dx.dev);
        Pair.Reference.Pool2dBackward(g, mode, x.reference, dy.reference, dx.reference);
        Pair.AssertClose(dx, 1e-5f, 1e-6f, $"Pool2dBackward {mode} {g}");
    }

    /// <summary>
    /// The gradient through pooling and the activation before it equals the two reference ops one after the other; x
    /// is the activation's output (for ReLU a third of it 0, so some windows are all 0 and get no gradient).
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void BackwardThroughTheActivationBeforeMatchesReference(Pool2dGeometry g, PoolMode mode)
    {
        foreach (var f in new[] { Activation.ReLU, Activation.Sigmoid })
        {
            var raw = Compare.Random(g.InputLength, 5, -2.5f, 5);
            var xs = raw.Select(v => f == Activation.ReLU ? Math.Max(v, 0) : 1 / (1 + MathF.Exp(-v))).ToArray();
            var x = Pair.Put(xs);
            var dy = Pair.Put(Compare.Random(g.OutputLength, 6));
            var dx = Pair.Put(Compare.Random(g.InputLength, 7, 100, 200), slack: 4);
            Pair.Device.Pool2dBackward(g, mode, x.dev, dy.dev, dx.dev, f);
            Pair.Reference.Pool2dBackward(g, mode, x.reference, dy.reference, dx.reference);
            Pair.Reference.ActivationBackward(f, g.InputLength, x.reference, dx.reference, dx.reference);
            Pair.AssertClose(dx, 1e-5f, 1e-6f, $"Pool2dBackward {mode} {g} through {f}");
        }
    }

    [Test]
    public void MaxBackwardThroughReLUGivesAnAllZeroWindowNoGradient()
    {
        var g = new Pool2dGeometry(1, 1, 2, 4, 2, 2, 2, 2);
        var x = Pair.Put([0, 0, 3, 0, 0, 0, 0, 3]);
        var dy = Pair.Put([5, 7]);
        var dx = Pair.Put(Enumerable.Repeat(9f, 8).ToArray());
        Pair.Device.Pool2dBackward(g, PoolMode.Max, x.dev, dy.dev, dx.dev, Activation.ReLU);
        Assert.That(DevicePair.Read(Pair.Device, dx.dev), Is.EqualTo(new float[] { 0, 0, 7, 0, 0, 0, 0, 0 }));
    }

    [Test]
    public void MaxBackwardSendsTiesToTheFirstMaximum()
    {
        var g = new Pool2dGeometry(1, 1, 2, 4, 2, 2, 2, 2);
        var x = Pair.Put([1, 1, 3, 0, 1, 1, 0, 3]);
        var dy = Pair.Put([5, 7]);
        var dx = Pair.Put(new float[8]);
        Pair.Device.Pool2dBackward(g, PoolMode.Max, x.dev, dy.dev, dx.dev);
        Assert.That(DevicePair.Read(Pair.Device, dx.dev), Is.EqualTo(new float[] { 5, 0, 7, 0, 0, 0, 0, 0 }));
    }
}
