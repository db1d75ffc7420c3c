using CnnNative.Devices;

namespace CnnNative.Tests.Devices.Conformance;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
public class ElementwiseConformanceTests(string device) : DeviceFixture(device)
{
    /// <summary>Every remainder of the vector widths in use (4, 8, 16), and a long run.</summary>
    public static int[] Lengths => [1, 3, 7, 8, 9, 16, 31, 33, 64, 257, 1000, 40_001];

    [TestCaseSource(nameof(Lengths))]
    public void FillCopyAxpyScaleMultiply(int length)
    {
        var x = Pair.Put(Compare.Random(length, 1));
        var y = Pair.Put(Compare.Random(length, 2), slack: 3);
        var z = Pair.Put(Compare.Random(length, 3), slack: 3);

        Pair.Device.Axpy(length, -0.75f, x.dev, y.dev);
        Pair.Reference.Axpy(length, -0.75f, x.reference, y.reference);
        Pair.AssertClose(y, 1e-6f, 1e-6f, $"Axpy {length}");

        Pair.Device.Scale(length, 3.5f, y.dev);
        Pair.Reference.Scale(length, 3.5f, y.reference);
        Pair.AssertClose(y, 1e-6f, 1e-6f, $"Scale {length}");

        Pair.Device.Multiply(length, x.dev, y.dev, z.dev);
        Pair.Reference.Multiply(length, x.reference, y.reference, z.reference);
        Pair.AssertClose(z, 1e-6f, 1e-6f, $"Multiply {length}");

        Pair.Device.Copy(x.dev, z.dev, length);
        Pair.Reference.Copy(x.reference, z.reference, length);
        Pair.AssertClose(z, 0, 0, $"Copy {length}");

        Pair.Device.Fill(z.dev, length, 0.125f);
        Pair.Reference.Fill(z.reference, length, 0.125f);
        Pair.AssertClose(z, 0, 0, $"Fill {length}");
    }

    public static IEnumerable<TestCaseData> ActivationCases()
    {
        foreach (var f in Enum.GetValues<Activation>())
            foreach (int n in new[] { 1, 7, 33, 1000 })
                yield return new TestCaseData(f, n);
    }

    [TestCaseSource(nameof(ActivationCases))]
    public void ActivationsMatchReference(Activation f, int length)
    {
        var x = Pair.Put(Compare.Random(length, 4, -6, 6));
        var y = Pair.Put(new float[length], slack: 2);
        Pair.Device.ActivationForward(f, length, x.dev, y.dev);
        Pair.Reference.ActivationForward(f, length, x.reference, y.reference);
        Pair.AssertClose(y, 2e-6f, 2e-7f, $"ActivationForward {f} {length}");

        var dy = Pair.Put(Compare.Random(length, 5));
        var dx = Pair.Put(new float[length], slack: 2);
        Pair.Device.ActivationBackward(f, length, y.dev, dy.dev, dx.dev);
        Pair.Reference.ActivationBackward(f, length, y.reference, dy.reference, dx.reference);
        Pair.AssertClose(dx, 1e-5f, 1e-6f, $"ActivationBackward {f} {length}");
    }

    [TestCase(0f, 101)]
    [TestCase(0.25f, 1000)]
    [TestCase(0.5f, 33)]
    [TestCase(0.9f, 4096)]
    public void DropoutDrawsTheSameMaskAsReference(float rate, int length)
    {
        var x = Pair.Put(Compare.Random(length, 6));
        var y = Pair.Put(new float[length]);
        var mask = Pair.Put(new float[length], slack: 2);
        Pair.Device.DropoutForward(length, rate, 1234u, x.dev, y.dev, mask.dev);
        Pair.Reference.DropoutForward(length, rate, 1234u, x.reference, y.reference, mask.reference);
        Pair.AssertClose(mask, 0, 0, $"Dropout mask rate={rate}");
        Pair.AssertClose(y, 1e-6f, 0, $"Dropout output rate={rate}");
    }
}
