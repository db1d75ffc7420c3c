using CnnNative.Devices;
using CnnNative.Devices.Cpu;
using CnnNative.Devices.Reference;
using static CnnNative.Tests.Devices.DeviceTestSupport;

namespace CnnNative.Tests.Devices.Cpu;

/// <summary>The cpu device's GEMM against the reference: every transpose combination, sizes around the block edges.</summary>
[Category(Conformance.TestDevices.CpuCategory)]
public class CpuGemmTests
{
    public record GemmCase(bool TransA, bool TransB, int M, int N, int K, float Alpha, float Beta)
    {
        public override string ToString() => $"{(TransA ? "T" : "N")}{(TransB ? "T" : "N")} m={M} n={N} k={K} alpha={Alpha} beta={Beta}";
    }

    private static readonly (float Alpha, float Beta)[] Scalars = [(1f, 0f), (0.5f, 1f), (-1.5f, 0.25f), (2f, 0f)];

    /// <summary>Sizes 1..37 in every position (odd ones, just under/over MR = 6 or 14 and NR = 16 or 32), for all four transposes.</summary>
    public static IEnumerable<GemmCase> SmallCases()
    {
        int index = 0;
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                for (int i = 1; i <= 37; i++)
                {
                    var (alpha, beta) = Scalars[index++ % Scalars.Length];
                    yield return new GemmCase(ta, tb, i, (i * 7 + 3) % 37 + 1, (i * 13 + 5) % 37 + 1, alpha, beta);
                }
    }

    /// <summary>Sizes at and around KC = 256, MC = 144 (336 at Vector512), NC = 3072, MB = 2304, and big enough to run on the worker pool.</summary>
    public static IEnumerable<GemmCase> BlockEdgeCases()
    {
        int[][] shapes =
        [
            [6, 16, 256], [7, 17, 257], [5, 15, 255], [144, 16, 8], [145, 33, 300], [143, 31, 513],
            [3, 3073, 5], [1, 10, 784], [64, 10, 1], [150, 200, 70], [200, 150, 90], [290, 530, 40], [1, 1, 1],
            // Parallel driver across its row chunk (MB = 2304) and its column block (NC = 3072).
            [2305, 20, 30], [20, 3100, 20],
            // Past NC with odd sizes: cut into two even column blocks (Linear's dx, N = 3136, in miniature).
            [9, 3137, 40], [7, 6200, 23],
            // A few rows (NT: the dot-product path), serial and on the pool, k with and without vector tails.
            [1, 1024, 3136], [4, 130, 2600], [2, 65, 33], [3, 129, 7],
            // Linear at batch 64 in miniature: whole A panels with k past and off the 8-step vector packing.
            [64, 100, 313], [12, 40, 17], [66, 48, 8],
            // Around the 512-bit blocks: MC = 336 rows (24 tiles of 14), whole 14-row panels with k off the 8-step packing.
            [337, 33, 20], [28, 64, 19], [14, 32, 256],
        ];
        int index = 0;
        foreach (var s in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    var (alpha, beta) = Scalars[index++ % Scalars.Length];
                    yield return new GemmCase(ta, tb, s[0], s[1], s[2], alpha, beta);
                }
    }

    private static float[][] Gemm(IDevice device, GemmCase c, float[] a, float[] b, float[] cInit)
        => Run(device, [a, b, cInit], (d, x) => d.Gemm(c.TransA, c.TransB, c.M, c.N, c.K, c.Alpha, x[0], x[1], c.Beta, x[2]));

    private static (float[] A, float[] B, float[] C) Operands(GemmCase c)
    {
        var a = Random(c.M * c.K, 1);
        var b = Random(c.K * c.N, 2);
        // beta = 0 must ignore C entirely, NaN included.
        var cInit = c.Beta == 0 ? Enumerable.Repeat(float.NaN, c.M * c.N).ToArray() : Random(c.M * c.N, 3);
        return (a, b, cInit);
    }

    [TestCaseSource(nameof(SmallCases))]
    [TestCaseSource(nameof(BlockEdgeCases))]
    public void MatchesReference(GemmCase c)
    {
        var (a, b, cInit) = Operands(c);
        using var reference = new ReferenceDevice();
        var expected = Gemm(reference, c, a, b, cInit)[2];
        foreach (var isa in Widths)
            foreach (int threads in new[] { 1, 2 })
            {
                using var cpu = new CpuDevice(new CpuDeviceOptions { Threads = threads, Isa = isa });
                var actual = Gemm(cpu, c, a, b, cInit)[2];
                Compare.Close(actual, expected, 1e-5 * Math.Sqrt(c.K + 1), $"{c} {isa} threads={threads}");
            }
    }

    /// <summary>Both vector widths: the 512-bit kernels run in software where the processor lacks AVX-512.</summary>
    private static readonly CpuIsa[] Widths = [CpuIsa.Vector256, CpuIsa.Vector512];

    [TestCaseSource(nameof(BlockEdgeCases))]
    public void OneAndTwoThreadsGiveIdenticalBits(GemmCase c)
    {
        var (a, b, cInit) = Operands(c);
        foreach (var isa in Widths)
        {
            using var one = new CpuDevice(new CpuDeviceOptions { Threads = 1, Isa = isa });
            using var two = new CpuDevice(new CpuDeviceOptions { Threads = 2, Isa = isa });
            Compare.BitwiseEqual(Gemm(two, c, a, b, cInit), Gemm(one, c, a, b, cInit), $"{c} {isa}");
            Compare.BitwiseEqual(Gemm(two, c, a, b, cInit), Gemm(two, c, a, b, cInit), $"{c} {isa} (rerun)");
        }
    }

    [Test]
    public void EmptyInnerDimensionScalesC()
    {
        using var reference = new ReferenceDevice();
        using var cpu = new CpuDevice(2);
        var c = new GemmCase(false, false, 3, 4, 0, 1f, 0.5f);
        var expected = Gemm(reference, c, [], [], Random(12, 4))[2];
        Compare.Close(Gemm(cpu, c, [], [], Random(12, 4))[2], expected, 0, "k = 0");
    }

    /// <summary>Shapes for the few-row dot-product path: M = 1..4, N with 0, 1 or 2 columns left over from threes and pairs, k off the 8- and 32-steps.</summary>
    public static IEnumerable<GemmCase> PairedDotCases()
    {
        int index = 0;
        foreach (int m in new[] { 1, 2, 3, 4 })
            foreach (int n in new[] { 1, 2, 3, 64, 65, 130, 1025 })
                foreach (int k in new[] { 1, 7, 8, 31, 33, 100, 3136 })
                {
                    var (alpha, beta) = Scalars[index++ % Scalars.Length];
                    yield return new GemmCase(false, true, m, n, k, alpha, beta);
                }
    }

    /// <summary>Three and two weight rows per pass sum each output in the one-row loop's order: the same bits, on 1 and 2 threads.</summary>
    [TestCaseSource(nameof(PairedDotCases))]
    public void PairedDotGivesTheOneRowBits(GemmCase c)
    {
        var (a, b, cInit) = Operands(c);
        foreach (int threads in new[] { 1, 2 })
        {
            using var cpu = new CpuDevice(threads);
            using var oneRow = new CpuDevice(new CpuDeviceOptions { Threads = threads, Paths = CpuPaths.All & ~CpuPaths.GroupedDotProducts });
            Compare.BitwiseEqual(Gemm(cpu, c, a, b, cInit), Gemm(oneRow, c, a, b, cInit), $"{c} threads={threads}");
        }
    }

    /// <summary>
    /// Few-row GEMMs big enough for the pool (M up to MC = 144): M = 1..8 and odd, k off the 8-step and across KC,
    /// N odd and past a column tile, every transpose.
    /// </summary>
    public static IEnumerable<GemmCase> FewRowsCases()
    {
        int index = 0;
        foreach (int m in new[] { 1, 2, 3, 5, 6, 7, 8, 13, 64, 143, 144 })
            foreach (int k in new[] { 37, 300, 1031 })
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                    {
                        int n = (int)((1L << 20) / ((long)m * k)) + 17 | 1;
                        var (alpha, beta) = Scalars[index++ % Scalars.Length];
                        yield return new GemmCase(ta, tb, m, n, k, alpha, beta);
                    }
    }

    /// <summary>The few-rows driver (2 threads) gives the blocked driver's bits and the one-thread bits, and is close to the reference.</summary>
    [TestCaseSource(nameof(FewRowsCases))]
    public void FewRowsDriverGivesTheBlockedBits(GemmCase c)
    {
        var (a, b, cInit) = Operands(c);
        using var one = new CpuDevice(1);
        using var two = new CpuDevice(2);
        using var twoBlocked = new CpuDevice(new CpuDeviceOptions { Threads = 2, Paths = CpuPaths.All & ~CpuPaths.FewRowsGemm });
        var blocked = Gemm(twoBlocked, c, a, b, cInit);
        var fewRows = Gemm(two, c, a, b, cInit);
        Compare.BitwiseEqual(fewRows, blocked, c + " few rows vs blocked");
        Compare.BitwiseEqual(fewRows, Gemm(one, c, a, b, cInit), c + " 2 vs 1 thread");
        using var reference = new ReferenceDevice();
        Compare.Close(fewRows[2], Gemm(reference, c, a, b, cInit)[2], 1e-5 * Math.Sqrt(c.K + 1), c.ToString());
    }

    /// <summary>
    /// C = alpha·A·Bᵀ + beta·C with 5–144 rows and k a whole number of 16-float vectors: the 512-bit dot-tile path
    /// (4 × 6 tiles, k blocks of 1024). Rows and columns off the tile, k across a block, one column.
    /// </summary>
    public static IEnumerable<GemmCase> DotTileCases()
    {
        int index = 0;
        foreach (var (m, n, k) in new[] { (5, 1, 16), (6, 7, 784), (7, 49, 1040), (13, 100, 2048), (64, 64, 784), (67, 130, 400), (144, 6, 3136) })
        {
            var (alpha, beta) = Scalars[index++ % Scalars.Length];
            yield return new GemmCase(false, true, m, n, k, alpha, beta);
        }
    }

    /// <summary>The dot-tile path is taken for these cases, is close to the reference, and gives the same bits on 1 and 2 threads.</summary>
    [TestCaseSource(nameof(DotTileCases))]
    public unsafe void DotTilesMatchTheReferenceOnAnyThreadCount(GemmCase c)
    {
        var problem = GemmProblem.Create(c.TransA, c.TransB, c.M, c.N, c.K, c.Alpha, null, null, c.Beta, null);
        Assert.That(CpuGemm<CnnNative.Devices.Cpu.Simd.V512>.TakesDotTiles(problem, CpuPaths.All), Is.True, "the case takes the dot-tile path");
        Assert.That(CpuGemm<CnnNative.Devices.Cpu.Simd.V512>.TakesDotTiles(problem, CpuPaths.All & ~CpuPaths.DotTileGemm), Is.False);
        var (a, b, cInit) = Operands(c);
        using var one = new CpuDevice(new CpuDeviceOptions { Threads = 1, Isa = CpuIsa.Vector512 });
        using var two = new CpuDevice(new CpuDeviceOptions { Threads = 2, Isa = CpuIsa.Vector512 });
        var dots = Gemm(two, c, a, b, cInit);
        Compare.BitwiseEqual(dots, Gemm(one, c, a, b, cInit), c + " 2 vs 1 thread");
        using var reference = new ReferenceDevice();
        Compare.Close(dots[2], Gemm(reference, c, a, b, cInit)[2], 1e-5 * Math.Sqrt(c.K + 1), c.ToString());
    }
}
