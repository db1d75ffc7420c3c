namespace CnnNative.Tests.Devices.Conformance;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
public class OptimizerConformanceTests(string device) : DeviceFixture(device)
{
    [TestCase(1, 0f, 0f, false)]
    [TestCase(33, 0.9f, 0f, false)]
    [TestCase(1000, 0.9f, 5e-4f, true)]
    [TestCase(7, 0.5f, 1e-2f, false)]
    public void SgdStepsMatchReference(int length, float momentum, float weightDecay, bool nesterov)
    {
        var p = Pair.Put(Compare.Random(length, 1));
        var v = Pair.Put(new float[length], slack: 2);
        for (int step = 0; step < 3; step++)
        {
            var g = Pair.Put(Compare.Random(length, 10 + step));
            Pair.Device.SgdStep(length, p.dev, g.dev, v.dev, 0.1f, momentum, weightDecay, nesterov);
            Pair.Reference.SgdStep(length, p.reference, g.reference, v.reference, 0.1f, momentum, weightDecay, nesterov);
        }
        Pair.AssertClose(p, 1e-5f, 1e-6f, $"SgdStep param {length}");
        Pair.AssertClose(v, 1e-5f, 1e-6f, $"SgdStep velocity {length}");
    }

    [TestCase(1, 0f)]
    [TestCase(37, 0f)]
    [TestCase(1000, 1e-2f)]
    public void AdamStepsMatchReference(int length, float weightDecay)
    {
        var p = Pair.Put(Compare.Random(length, 2));
        var m = Pair.Put(new float[length], slack: 2);
        var v = Pair.Put(new float[length], slack: 2);
        for (int step = 1; step <= 3; step++)
        {
            var g = Pair.Put(Compare.Random(length, 20 + step));
            Pair.Device.AdamStep(length, p.dev, g.dev, m.dev, v.dev, 1e-3f, 0.9f, 0.999f, 1e-8f, weightDecay, step);
            Pair.Reference.AdamStep(length, p.reference, g.reference, m.reference, v.reference, 1e-3f, 0.9f, 0.999f, 1e-8f, weightDecay, step);
        }
        Pair.AssertClose(p, 1e-5f, 1e-6f, $"AdamStep param {length}");
        Pair.AssertClose(m, 1e-5f, 1e-7f, $"AdamStep m {length}");
        Pair.AssertClose(v, 1e-5f, 1e-8f, $"AdamStep v {length}");
    }
}
