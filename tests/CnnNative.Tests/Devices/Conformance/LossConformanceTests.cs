namespace CnnNative.Tests.Devices.Conformance;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
public class LossConformanceTests(string device) : DeviceFixture(device)
{
    public static IEnumerable<TestCaseData> RowShapes()
    {
        foreach (var (rows, cols) in new[] { (1, 10), (64, 10), (7, 3), (5, 1), (3, 1000), (33, 17) })
            yield return new TestCaseData(rows, cols).SetArgDisplayNames($"{rows}x{cols}");
    }

    [TestCaseSource(nameof(RowShapes))]
    public void SoftmaxForwardAndBackwardMatchReference(int rows, int cols)
    {
        var x = Pair.Put(Compare.Random(rows * cols, 1, -20, 20));
        var y = Pair.Put(new float[rows * cols], slack: 2);
        Pair.Device.SoftmaxForward(rows, cols, x.dev, y.dev);
        Pair.Reference.SoftmaxForward(rows, cols, x.reference, y.reference);
        Pair.AssertClose(y, 1e-5f, 1e-7f, $"SoftmaxForward {rows}x{cols}");

        var dy = Pair.Put(Compare.Random(rows * cols, 2));
        var dx = Pair.Put(new float[rows * cols], slack: 2);
        Pair.Device.SoftmaxBackward(rows, cols, y.dev, dy.dev, dx.dev);
        Pair.Reference.SoftmaxBackward(rows, cols, y.reference, dy.reference, dx.reference);
        Pair.AssertClose(dx, 1e-4f, 1e-6f, $"SoftmaxBackward {rows}x{cols}");
    }

    [TestCaseSource(nameof(RowShapes))]
    public void SoftmaxCrossEntropyMatchesReference(int rows, int cols)
    {
        var z = Pair.Put(Compare.Random(rows * cols, 3, -30, 30));
        var t = Pair.Put(Compare.OneHot(rows, cols, 4));
        var g = Pair.Put(new float[rows * cols], slack: 2);
        float loss = Pair.Device.SoftmaxCrossEntropy(rows, cols, z.dev, t.dev, g.dev, 1f / rows);
        float expected = Pair.Reference.SoftmaxCrossEntropy(rows, cols, z.reference, t.reference, g.reference, 1f / rows);
        Assert.That(loss, Is.EqualTo(expected).Within(1e-4f * (1 + Math.Abs(expected))), $"{DeviceName} loss");
        Pair.AssertClose(g, 1e-4f, 1e-7f, $"SoftmaxCrossEntropy gradient {rows}x{cols}");
    }

    [Test]
    public void SoftmaxCrossEntropyIsStableForHugeLogits()
    {
        var z = Pair.Put([1e4f, -1e4f, 0f, 3e4f, 3e4f, -3e4f]);
        var t = Pair.Put([1f, 0f, 0f, 0f, 1f, 0f]);
        var g = Pair.Put(new float[6]);
        float loss = Pair.Device.SoftmaxCrossEntropy(2, 3, z.dev, t.dev, g.dev, 1);
        Assert.That(loss, Is.EqualTo(MathF.Log(2)).Within(1e-4f));
        Assert.That(DevicePair.Read(Pair.Device, g.dev), Is.EqualTo(new[] { 0f, 0f, 0f, 0.5f, -0.5f, 0f }).Within(1e-6f));
    }

    [TestCase(1)]
    [TestCase(10)]
    [TestCase(1001)]
    public void SquaredErrorMatchesReference(int length)
    {
        var p = Pair.Put(Compare.Random(length, 5));
        var t = Pair.Put(Compare.Random(length, 6));
        var g = Pair.Put(new float[length], slack: 2);
        float sum = Pair.Device.SquaredError(length, p.dev, t.dev, g.dev, 0.5f);
        float expected = Pair.Reference.SquaredError(length, p.reference, t.reference, g.reference, 0.5f);
        Assert.That(sum, Is.EqualTo(expected).Within(1e-5f * (1 + expected)));
        Pair.AssertClose(g, 1e-6f, 1e-7f, $"SquaredError gradient {length}");
    }

    [TestCaseSource(nameof(RowShapes))]
    public void CountCorrectMatchesReference(int rows, int cols)
    {
        var s = Pair.Put(Compare.Random(rows * cols, 7));
        var t = Pair.Put(Compare.OneHot(rows, cols, 8));
        Assert.That(Pair.Device.CountCorrect(rows, cols, s.dev, t.dev),
                    Is.EqualTo(Pair.Reference.CountCorrect(rows, cols, s.reference, t.reference)));
    }

    [Test]
    public void CountCorrectBreaksTiesTowardsTheFirstMaximum()
    {
        var s = Pair.Put([1, 1, 0, 2, 2, 0]);
        var t = Pair.Put([1, 0, 0, 0, 1, 0]);
        Assert.That(Pair.Device.CountCorrect(2, 3, s.dev, t.dev), Is.EqualTo(1));
    }
}
