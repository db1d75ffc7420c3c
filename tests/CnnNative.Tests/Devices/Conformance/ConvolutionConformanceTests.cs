using CnnNative.Devices;

namespace CnnNative.Tests.Devices.Conformance;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
public class ConvolutionConformanceTests(string device) : DeviceFixture(device)
{
    /// <summary>Odd sizes, batch 1, stride 2 and 3, padding, rectangular kernels, 1x1, channel counts off every tile.</summary>
    public static IEnumerable<TestCaseData> Shapes()
    {
        Conv2dGeometry[] shapes =
        [
            new(1, 1, 5, 5, 1, 3, 3),
            new(2, 3, 7, 7, 4, 3, 3, 1, 1, 1, 1),
            new(1, 3, 8, 9, 5, 3, 2, 2, 1, 1, 0),
            new(3, 5, 11, 10, 7, 5, 5, 2, 2, 2, 2),
            new(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2),
            new(1, 16, 14, 14, 17, 3, 3, 1, 1, 1, 1),
            new(2, 9, 6, 6, 3, 1, 1),
            new(1, 2, 9, 9, 3, 3, 3, 3, 3),
            new(2, 8, 12, 12, 16, 3, 3, 1, 1, 1, 1),
            new(1, 33, 7, 7, 10, 3, 3, 2, 2, 1, 1),
            new(4, 6, 10, 10, 32, 5, 5, 1, 1, 2, 2),
            new(1, 4, 3, 3, 2, 5, 5, 1, 1, 2, 2),
        ];
        foreach (var g in shapes) yield return new TestCaseData(g).SetArgDisplayNames(g.ToString());
    }

    private static float Atol(in Conv2dGeometry g, int reduce) => 2e-5f * MathF.Sqrt(reduce);

    [TestCaseSource(nameof(Shapes))]
    public void ForwardMatchesReference(Conv2dGeometry g)
    {
        var x = Pair.Put(Compare.Random(g.InputLength, 1));
        var w = Pair.Put(Compare.Random(g.FilterLength, 2));
        var b = Pair.Put(Compare.Random(g.K, 3));
        var y = Pair.Put(Compare.Random(g.OutputLength, 4, 100, 200), slack: 5);
        Pair.Device.Conv2dForward(g, x.dev, w.dev, b.dev, y.dev);
        Pair.Reference.Conv2dForward(g, x.reference, w.reference, b.reference, y.reference);
        Pair.AssertClose(y, 1e-4f, Atol(g, g.C * g.R * g.S), $"Conv2dForward {g}");
    }

    /// <summary>
    /// Conv2dForward with a fused activation: the reference's convolution then activation, and bitwise the device's
    /// own two ops (the cpu device applies ReLU in its store; other devices run the two ops).
    /// </summary>
    [TestCaseSource(nameof(Shapes))]
    public void ForwardWithAFusedActivationIsTheTwoOps(Conv2dGeometry g)
    {
        foreach (var f in Enum.GetValues<Activation>())
            foreach (bool bias in new[] { true, false })
            {
                var x = Pair.Put(Compare.Random(g.InputLength, 11));
                var w = Pair.Put(Compare.Random(g.FilterLength, 12));
                var b = Pair.Put(Compare.Random(g.K, 13));
                var y = Pair.Put(Compare.Random(g.OutputLength, 14, 100, 200), slack: 5);
                var twoOps = Pair.Put(new float[g.OutputLength], slack: 5);
                Pair.Device.Conv2dForward(g, x.dev, w.dev, bias ? b.dev : null, y.dev, f);
                Pair.Device.Conv2dForward(g, x.dev, w.dev, bias ? b.dev : null, twoOps.dev);
                Pair.Device.ActivationForward(f, g.OutputLength, twoOps.dev, twoOps.dev);
                Pair.Reference.Conv2dForward(g, x.reference, w.reference, bias ? b.reference : null, y.reference, f);
                Pair.AssertClose(y, 1e-4f, Atol(g, g.C * g.R * g.S), $"Conv2dForward {f} bias={bias} {g}");
                Compare.BitwiseEqual([DevicePair.Read(Pair.Device, y.dev)], [DevicePair.Read(Pair.Device, twoOps.dev)], $"fused {f} vs the two ops, bias={bias}, {g}");
            }
    }

    [TestCaseSource(nameof(Shapes))]
    public void ForwardWithoutBiasMatchesReference(Conv2dGeometry g)
    {
        var x = Pair.Put(Compare.Random(g.InputLength, 5));
        var w = Pair.Put(Compare.Random(g.FilterLength, 6));
        var y = Pair.Put(new float[g.OutputLength]);
        Pair.Device.Conv2dForward(g, x.dev, w.dev, null, y.dev);
        Pair.Reference.Conv2dForward(g, x.reference, w.reference, null, y.reference);
        Pair.AssertClose(y, 1e-4f, Atol(g, g.C * g.R * g.S), $"Conv2dForward(no bias) {g}");
    }

    [TestCaseSource(nameof(Shapes))]
    public void BackwardDataMatchesReference(Conv2dGeometry g)
    {
        var dy = Pair.Put(Compare.Random(g.OutputLength, 7));
        var w = Pair.Put(Compare.Random(g.FilterLength, 8));
        var dx = Pair.Put(Compare.Random(g.InputLength, 9, 100, 200), slack: 3); // old contents must be overwritten
        Pair.Device.Conv2dBackwardData(g, dy.dev, w.dev, dx.dev);
        Pair.Reference.Conv2dBackwardData(g, dy.reference, w.reference, dx.reference);
        Pair.AssertClose(dx, 1e-4f, Atol(g, g.K * g.R * g.S), $"Conv2dBackwardData {g}");
    }

    [TestCaseSource(nameof(Shapes))]
    public void BackwardFilterAccumulatesLikeReference(Conv2dGeometry g)
    {
        var x = Pair.Put(Compare.Random(g.InputLength, 10));
        var dy = Pair.Put(Compare.Random(g.OutputLength, 11));
        var dw = Pair.Put(Compare.Random(g.FilterLength, 12), slack: 2); // gradients accumulate into old contents
        var db = Pair.Put(Compare.Random(g.K, 13), slack: 2);
        Pair.Device.Conv2dBackwardFilter(g, x.dev, dy.dev, dw.dev, db.dev);
        Pair.Reference.Conv2dBackwardFilter(g, x.reference, dy.reference, dw.reference, db.reference);
        int reduce = g.N * g.P * g.Q;
        Pair.AssertClose(dw, 1e-4f, Atol(g, reduce), $"Conv2dBackwardFilter dw {g}");
        Pair.AssertClose(db, 1e-4f, Atol(g, reduce), $"Conv2dBackwardFilter db {g}");
    }

    [Test]
    public void BackwardFilterWithoutBiasGradient()
    {
        var g = new Conv2dGeometry(2, 3, 6, 6, 4, 3, 3, 1, 1, 1, 1);
        var x = Pair.Put(Compare.Random(g.InputLength, 14));
        var dy = Pair.Put(Compare.Random(g.OutputLength, 15));
        var dw = Pair.Put(new float[g.FilterLength]);
        Pair.Device.Conv2dBackwardFilter(g, x.dev, dy.dev, dw.dev, null);
        Pair.Reference.Conv2dBackwardFilter(g, x.reference, dy.reference, dw.reference, null);
        Pair.AssertClose(dw, 1e-4f, Atol(g, g.N * g.P * g.Q), $"Conv2dBackwardFilter(no db) {g}");
    }
}
