using CnnNative.Devices;
namespace CnnNative.Tests.Devices.Conformance;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
public class DenseConformanceTests(string device) : DeviceFixture(device)
{
    public static IEnumerable<TestCaseData> GemmCases()
    {
        (int m, int n, int k)[] sizes =
        [
            (1, 1, 1), (1, 10, 3136), (64, 10, 84), (7, 13, 5), (17, 33, 65), (64, 1024, 3136 / 16),
            (6, 16, 8), (5, 15, 7), (13, 17, 129), (31, 40, 1), (128, 3, 9), (2, 257, 31),
        ];
        foreach (var (m, n, k) in sizes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    yield return new TestCaseData(ta, tb, m, n, k).SetArgDisplayNames($"{(ta ? "T" : "N")}{(tb ? "T" : "N")} m={m} n={n} k={k}");
    }

    [TestCaseSource(nameof(GemmCases))]
    public void GemmMatchesReference(bool transA, bool transB, int m, int n, int k)
    {
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1f), (-2f, 0.25f) })
        {
            var a = Pair.Put(Compare.Random(m * k, 1));
            var b = Pair.Put(Compare.Random(k * n, 2));
            var c = Pair.Put(Compare.Random(m * n, 3), slack: 3);
            Pair.Device.Gemm(transA, transB, m, n, k, alpha, a.dev, b.dev, beta, c.dev);
            Pair.Reference.Gemm(transA, transB, m, n, k, alpha, a.reference, b.reference, beta, c.reference);
            Pair.AssertClose(c, 1e-4f, 3e-5f * MathF.Sqrt(k) * Math.Abs(alpha), $"Gemm {transA}/{transB} {m}x{n}x{k} alpha={alpha} beta={beta}");
        }
    }

    [Test]
    public void GemmWithBetaZeroIgnoresNaNInC()
    {
        var a = Pair.Put(Compare.Random(6, 1));
        var b = Pair.Put(Compare.Random(6, 2));
        var c = Pair.Put(Enumerable.Repeat(float.NaN, 4).ToArray());
        Pair.Device.Gemm(false, false, 2, 2, 3, 1, a.dev, b.dev, 0, c.dev);
        Pair.Reference.Gemm(false, false, 2, 2, 3, 1, a.reference, b.reference, 0, c.reference);
        Pair.AssertClose(c, 1e-5f, 1e-6f, "Gemm beta=0 over NaN");
    }

    [TestCase(1, 10)]
    [TestCase(64, 1024)]
    [TestCase(7, 13)]
    [TestCase(3, 1)]
    public void BiasRowsWithAFusedActivationAreTheTwoOps(int rows, int cols)
    {
        foreach (var f in Enum.GetValues<Activation>())
        {
            var bias = Pair.Put(Compare.Random(cols, 21));
            var start = Compare.Random(rows * cols, 22);
            start[0] = float.NaN; // NaN + bias through ReLU gives 0, as the activation op
            var y = Pair.Put(start, slack: 3);
            var twoOps = Pair.Put(start, slack: 3);
            Pair.Device.AddBiasRows(rows, cols, bias.dev, y.dev, f);
            Pair.Device.AddBiasRows(rows, cols, bias.dev, twoOps.dev);
            Pair.Device.ActivationForward(f, rows * cols, twoOps.dev, twoOps.dev);
            Pair.Reference.AddBiasRows(rows, cols, bias.reference, y.reference, f);
            Pair.AssertClose(y, 1e-6f, 1e-6f, $"AddBiasRows {f} {rows}x{cols}");
            Compare.BitwiseEqual([DevicePair.Read(Pair.Device, y.dev)], [DevicePair.Read(Pair.Device, twoOps.dev)], $"fused {f} vs the two ops {rows}x{cols}");
        }
    }

    [TestCase(1, 10)]
    [TestCase(64, 1024)]
    [TestCase(7, 13)]
    [TestCase(3, 1)]
    public void BiasRowsAndSumRowsMatchReference(int rows, int cols)
    {
        var bias = Pair.Put(Compare.Random(cols, 4));
        var y = Pair.Put(Compare.Random(rows * cols, 5), slack: 2);
        Pair.Device.AddBiasRows(rows, cols, bias.dev, y.dev);
        Pair.Reference.AddBiasRows(rows, cols, bias.reference, y.reference);
        Pair.AssertClose(y, 1e-6f, 1e-6f, $"AddBiasRows {rows}x{cols}");

        var sums = Pair.Put(Compare.Random(cols, 6), slack: 2);
        Pair.Device.SumRows(rows, cols, y.dev, sums.dev);
        Pair.Reference.SumRows(rows, cols, y.reference, sums.reference);
        Pair.AssertClose(sums, 1e-5f, 1e-5f * MathF.Sqrt(rows), $"SumRows {rows}x{cols}");
    }
}
