using CnnNative.Devices;
using static CnnNative.Tests.Devices.DeviceTestSupport;

namespace CnnNative.Tests.Devices.Conformance;

/// <summary>
/// Every non-GEMM, non-convolution op against the reference on the shapes that reach the cpu device's vector bodies,
/// scalar tails, odd rows and multi-chunk (pooled) paths, run on every device: each buffer is compared after the op,
/// and returned numbers too.
/// </summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
public class ShapeSweepConformanceTests(string device) : DeviceFixture(device)
{
    /// <summary>An op on freshly uploaded buffers; Run returns its scalar result (or 0).</summary>
    public record OpCase(string Name, int[] Lengths, Func<IDevice, DeviceBuffer[], float> Run, double Tolerance = 1e-5)
    {
        public override string ToString() => Name;
    }

    // Below one vector, with a tail, and above one ParallelRange chunk (so several workers take part on the cpu device).
    private static readonly int[] Lengths = [5, 1003, 70_001];

    private static readonly Pool2dGeometry[] Pools =
    [
        new(2, 3, 8, 8, 2, 2, 2, 2),        // 2×2/2 with 4 outputs a row: scalar tail of the AVX path
        new(2, 5, 37, 36, 2, 2, 2, 2),      // 18 outputs a row: vector body and tail
        new(1, 4, 13, 13, 3, 3, 2, 2),      // overlapping windows
        new(3, 2, 9, 14, 2, 3, 1, 2),       // rectangular window and stride
        new(1, 1, 5, 5, 5, 5, 1, 1),        // one window covering the input
        new(20, 16, 28, 28, 2, 2, 2, 2),    // many planes: several tasks
        new(3, 4, 14, 14, 2, 2, 2, 2),      // 7 outputs a row: two overlapping 4-wide blocks
        new(2, 3, 15, 11, 2, 2, 2, 2),      // odd height and width: the last row and column get no gradient
        new(1, 2, 6, 7, 2, 2, 2, 2),        // 3 outputs a row: element by element
        new(2, 2, 2, 2, 2, 2, 2, 2),        // one window a plane
        new(1, 3, 4, 34, 2, 2, 2, 2),       // 17 outputs a row: vector body and an overlapping last block
    ];

    public static IEnumerable<OpCase> Cases()
    {
        foreach (int n in Lengths)
        {
            yield return new($"Fill n={n}", [n], (d, b) => { d.Fill(b[0], n, 3.5f); return 0; });
            yield return new($"Copy n={n}", [n, n], (d, b) => { d.Copy(b[0], b[1], n); return 0; });
            yield return new($"Axpy n={n}", [n, n], (d, b) => { d.Axpy(n, -0.75f, b[0], b[1]); return 0; });
            yield return new($"Scale n={n}", [n], (d, b) => { d.Scale(n, 1.25f, b[0]); return 0; });
            yield return new($"Multiply n={n}", [n, n, n], (d, b) => { d.Multiply(n, b[0], b[1], b[2]); return 0; });
            foreach (var f in Enum.GetValues<Activation>())
            {
                yield return new($"{f} forward n={n}", [n, n], (d, b) => { d.ActivationForward(f, n, b[0], b[1]); return 0; });
                yield return new($"{f} backward n={n}", [n, n, n], (d, b) => { d.ActivationBackward(f, n, b[0], b[1], b[2]); return 0; });
            }
            yield return new($"Dropout n={n}", [n, n, n], (d, b) => { d.DropoutForward(n, 0.3f, 1234u, b[0], b[1], b[2]); return 0; }, 0);
            yield return new($"SquaredError n={n}", [n, n, n], (d, b) => d.SquaredError(n, b[0], b[1], b[2], 0.5f));
            yield return new($"Sgd n={n}", [n, n], (d, b) => { d.SgdStep(n, b[0], b[1], null, 0.1f, 0, 1e-3f, false); return 0; });
            foreach (bool nesterov in new[] { false, true })
                yield return new($"Sgd momentum nesterov={nesterov} n={n}", [n, n, n],
                                 (d, b) => { d.SgdStep(n, b[0], b[1], b[2], 0.1f, 0.9f, 1e-3f, nesterov); return 0; });
            foreach (int step in new[] { 1, 7 })
                yield return new($"Adam step={step} n={n}", [n, n, n, n],
                                 (d, b) => { d.AdamStep(n, b[0], b[1], b[2], b[3], 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, step); return 0; }, 1e-4);
        }
        foreach (var (rows, cols) in new[] { (1, 1), (3, 10), (7, 19), (300, 200), (5000, 10) })
        {
            int n = rows * cols;
            yield return new($"AddBiasRows {rows}x{cols}", [cols, n], (d, b) => { d.AddBiasRows(rows, cols, b[0], b[1]); return 0; });
            yield return new($"SumRows {rows}x{cols}", [n, cols], (d, b) => { d.SumRows(rows, cols, b[0], b[1]); return 0; });
            yield return new($"SoftmaxForward {rows}x{cols}", [n, n], (d, b) => { d.SoftmaxForward(rows, cols, b[0], b[1]); return 0; });
            yield return new($"SoftmaxBackward {rows}x{cols}", [n, n, n], (d, b) => { d.SoftmaxBackward(rows, cols, b[0], b[1], b[2]); return 0; });
            yield return new($"SoftmaxCrossEntropy {rows}x{cols}", [n, n, n], (d, b) => d.SoftmaxCrossEntropy(rows, cols, b[0], b[1], b[2], 1f / rows));
            yield return new($"CountCorrect {rows}x{cols}", [n, n], (d, b) => d.CountCorrect(rows, cols, b[0], b[1]), 0);
        }
        foreach (var g in Pools)
            foreach (var mode in Enum.GetValues<PoolMode>())
            {
                yield return new($"Pool {mode} forward {g}", [g.InputLength, g.OutputLength], (d, b) => { d.Pool2dForward(g, mode, b[0], b[1]); return 0; });
                yield return new($"Pool {mode} backward {g}", [g.InputLength, g.OutputLength, g.InputLength],
                                 (d, b) => { d.Pool2dBackward(g, mode, b[0], b[1], b[2]); return 0; });
            }
        foreach (var (n, c, s) in BatchNorms)
        {
            int len = n * c * s;
            yield return new($"BatchNorm training n={n} c={c} s={s}", [len, c, c, len, c, c, c, c],
                             (d, b) => { d.BatchNormForwardTraining(n, c, s, 1e-3f, 0.1f, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]); return 0; });
            yield return new($"BatchNorm backward n={n} c={c} s={s}", [len, len, c, c, c, len, c, c],
                             (d, b) => { d.BatchNormBackward(n, c, s, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]); return 0; });
        }
    }

    /// <summary>
    /// Batch norm (n, channels, spatial): planes with a vector body and tail, planes shorter than a vector, several tasks,
    /// and spatial = 1 (after a dense layer) with channels in whole vectors and a tail, and a lone value per channel.
    /// </summary>
    private static readonly (int N, int C, int S)[] BatchNorms =
        [(2, 3, 25), (4, 32, 196), (16, 6, 784), (3, 4, 3), (3, 5, 1), (7, 19, 1), (64, 120, 1), (1, 6, 1)];

    /// <summary>Inputs with ties (values on a coarse grid), so first-maximum rules are exercised.</summary>
    internal static float[] Data(int length, int seed)
        => Random(length, seed, 4f).Select(v => MathF.Round(v * 4) / 4).ToArray();

    internal static (float[][] Buffers, float Result) Execute(IDevice device, OpCase c)
    {
        float result = 0;
        var inputs = c.Lengths.Select((n, i) => Data(n, 10 + i)).ToArray();
        var buffers = Run(device, inputs, (d, b) => result = c.Run(d, b));
        return (buffers, result);
    }

    /// <summary>
    /// Sums over many elements (the losses) and transcendental functions (exp, tanh) differ in rounding between the
    /// devices' float kernels and the double reference: the tolerance grows with √(reduction length) for returned
    /// sums, and OpenCL's built-in exp and tanh (a few ulp) get the float tolerance of 2e-5 per unit.
    /// </summary>
    private double Tolerance(OpCase c) => c.Tolerance == 0 ? 0 : Math.Max(c.Tolerance, DeviceName.StartsWith("opencl") ? 2e-5 : 0);

    [TestCaseSource(nameof(Cases))]
    public void MatchesReference(OpCase c)
    {
        var (expected, expectedResult) = Execute(Pair.Reference, c);
        var (actual, result) = Execute(Pair.Device, c);
        double tol = Tolerance(c);
        for (int b = 0; b < expected.Length; b++) Compare.Close(actual[b], expected[b], tol, $"{c.Name} {DeviceName} buffer {b}");
        double sumTol = Compare.Reduction((float)tol, c.Lengths.Max());
        Assert.That(result, Is.EqualTo(expectedResult).Within(sumTol * (1 + Math.Abs(expectedResult))), $"{c.Name} {DeviceName} result");
    }

    [Test]
    public void MaxPoolingPropagatesNaNAndRoutesGradientToFirstMaximum()
    {
        var g = new Pool2dGeometry(1, 1, 2, 16, 2, 2, 2, 2);
        var x = new float[32];
        x[3] = float.NaN;      // window 1 holds a NaN
        x[4] = x[5] = 2;       // window 2: tie between positions 4 and 5; the first wins
        float[] dy = Enumerable.Range(1, 8).Select(i => (float)i).ToArray();
        foreach (var device in new IDevice[] { Pair.Reference, Pair.Device })
        {
            var forward = Run(device, [x, new float[8]], (d, b) => d.Pool2dForward(g, PoolMode.Max, b[0], b[1]))[1];
            Assert.That(forward[1], Is.NaN, device.Name);
            Assert.That(forward[2], Is.EqualTo(2f), device.Name);
            var dx = Run(device, [x, dy, new float[32]], (d, b) => d.Pool2dBackward(g, PoolMode.Max, b[0], b[1], b[2]))[2];
            Assert.That(dx[4], Is.EqualTo(3f), device.Name);
            Assert.That(dx[5], Is.EqualTo(0f), device.Name);
        }
    }
}
