using System.Runtime.CompilerServices;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// C = alpha · A · Bᵀ + beta · C for a few rows (5 to 144: a dense layer's forward in training, where B is the weight
/// matrix, n × k, changed by every step) as tiles of dot products: 4 rows of A × 6 rows of B, 24 accumulators whose
/// lanes run along k, summed across the lanes once per k block. Nothing is packed: the blocked drivers transpose all
/// of B into panels on every call (12.8 MB for convnet's 3136 → 1024 layer), here B is read where it lies, a 6-row
/// tile staying in L1 while every row block of A passes it. 512-bit devices only (24 zmm accumulators; at 256 bits
/// they would not fit the 16 registers).
/// </summary>
/// <remarks>
/// Every element of C is one task's: its dot product per k block in a fixed order (lanes along k, then
/// <c>TVec.Sum</c>), the blocks added in order. So the bits depend on
/// the sizes only, not on the thread count.
/// </remarks>
internal static unsafe partial class CpuGemm<TVec>
{
    private const int DotRows = 4, DotCols = 6;
    /// <summary>Depth of a k block: a 6-row tile of B (24 KiB) and a 4-row tile of A (16 KiB) stay in L1.</summary>
    private const int DotKc = 1024;
    /// <summary>Most B tiles per task (48 columns of C).</summary>
    private const int DotMaxTilesPerTask = 8;

    /// <summary>
    /// Whether <see cref="RunDotTiles"/> takes the GEMM: k a whole number of vectors (no tail: with one, as LeNet's
    /// 120 → 84 layer, the blocked driver measured 2.4× faster), a 512-bit device, and neither operand packed.
    /// </summary>
    internal static bool TakesDotTiles(in GemmProblem g, CpuPaths paths)
        => (paths & CpuPaths.DotTileGemm) != 0 && TVec.Count == 16 && g.M > SmallM && g.M <= FewRowsMaxRows && g.K % L == 0
           && g.TransB && !g.TransA && g.PackedA == null && g.PackedB == null && g.RowBias == null;

    private static void RunDotTiles(WorkerPool pool, ref GemmProblem g)
    {
        fixed (GemmProblem* gp = &g)
        {
            // Up to eight B tiles a task, but at least two tasks a thread, so the columns split evenly: LeNet's 400 → 120
            // layer was three tasks of 48, 48 and 24 columns, one thread taking 96 of the 120 (now four of 30).
            int tiles = (g.N + DotCols - 1) / DotCols;
            g.DotColumns = Math.Clamp(tiles / (2 * pool.Threads), 1, DotMaxTilesPerTask) * DotCols;
            int tasks = (g.N + g.DotColumns - 1) / g.DotColumns;
            if (pool.Threads > 1 && (long)g.M * g.N * g.K >= ParallelThreshold) pool.For(tasks, &DotTileTask, gp);
            else for (int t = 0; t < tasks; t++) DotTileTask(gp, t, 0);
        }
    }

    [SkipLocalsInit]
    private static void DotTileTask(void* context, int task, int worker)
    {
        var g = (GemmProblem*)context;
        int j0 = task * g->DotColumns, j1 = Math.Min(g->N, j0 + g->DotColumns);
        float* sums = stackalloc float[DotRows * DotCols];
        for (int pc = 0; pc < g->K; pc += DotKc)
        {
            int kc = Math.Min(DotKc, g->K - pc);
            for (int j = j0; j < j1; j += DotCols)
            {
                int nc = Math.Min(DotCols, j1 - j);
                for (int i = 0; i < g->M; i += DotRows)
                {
                    int mc = Math.Min(DotRows, g->M - i);
                    DotTile(g->A + (long)i * g->Lda + pc, g->Lda, g->B + (long)j * g->Ldb + pc, g->Ldb, kc, mc, nc, sums);
                    for (int r = 0; r < mc; r++)
                    {
                        float* c = g->C + (long)(i + r) * g->Ldc + j;
                        for (int q = 0; q < nc; q++)
                        {
                            float v = g->Alpha * sums[r * DotCols + q];
                            c[q] = pc > 0 ? c[q] + v : g->Beta == 0f ? v : v + g->Beta * c[q];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// sums[r·6 + q] = Σ_{p &lt; kc} a_r[p]·b_q[p] (kc a multiple of the vector) for the first <paramref name="mr"/> rows
    /// of A and <paramref name="nr"/> of B (rows past them repeat the last one; their sums are not read).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DotTile(float* a, int lda, float* b, int ldb, int kc, int mr, int nr, float* sums)
    {
        float* a0 = a, a1 = mr > 1 ? a0 + lda : a0, a2 = mr > 2 ? a1 + lda : a1, a3 = mr > 3 ? a2 + lda : a2;
        float* b0 = b, b1 = nr > 1 ? b0 + ldb : b0, b2 = nr > 2 ? b1 + ldb : b1, b3 = nr > 3 ? b2 + ldb : b2;
        float* b4 = nr > 4 ? b3 + ldb : b3, b5 = nr > 5 ? b4 + ldb : b4;
        TVec c00 = TVec.Zero, c01 = c00, c02 = c00, c03 = c00, c04 = c00, c05 = c00;
        TVec c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00, c15 = c00;
        TVec c20 = c00, c21 = c00, c22 = c00, c23 = c00, c24 = c00, c25 = c00;
        TVec c30 = c00, c31 = c00, c32 = c00, c33 = c00, c34 = c00, c35 = c00;
        for (int p = 0; p < kc; p += L)
        {
            var x0 = TVec.Load(a0 + p);
            var x1 = TVec.Load(a1 + p);
            var x2 = TVec.Load(a2 + p);
            var x3 = TVec.Load(a3 + p);
            var w = TVec.Load(b0 + p);
            c00 = MulAdd(x0, w, c00); c10 = MulAdd(x1, w, c10); c20 = MulAdd(x2, w, c20); c30 = MulAdd(x3, w, c30);
            w = TVec.Load(b1 + p);
            c01 = MulAdd(x0, w, c01); c11 = MulAdd(x1, w, c11); c21 = MulAdd(x2, w, c21); c31 = MulAdd(x3, w, c31);
            w = TVec.Load(b2 + p);
            c02 = MulAdd(x0, w, c02); c12 = MulAdd(x1, w, c12); c22 = MulAdd(x2, w, c22); c32 = MulAdd(x3, w, c32);
            w = TVec.Load(b3 + p);
            c03 = MulAdd(x0, w, c03); c13 = MulAdd(x1, w, c13); c23 = MulAdd(x2, w, c23); c33 = MulAdd(x3, w, c33);
            w = TVec.Load(b4 + p);
            c04 = MulAdd(x0, w, c04); c14 = MulAdd(x1, w, c14); c24 = MulAdd(x2, w, c24); c34 = MulAdd(x3, w, c34);
            w = TVec.Load(b5 + p);
            c05 = MulAdd(x0, w, c05); c15 = MulAdd(x1, w, c15); c25 = MulAdd(x2, w, c25); c35 = MulAdd(x3, w, c35);
        }
        sums[0] = TVec.Sum(c00); sums[1] = TVec.Sum(c01); sums[2] = TVec.Sum(c02); sums[3] = TVec.Sum(c03); sums[4] = TVec.Sum(c04); sums[5] = TVec.Sum(c05);
        sums[6] = TVec.Sum(c10); sums[7] = TVec.Sum(c11); sums[8] = TVec.Sum(c12); sums[9] = TVec.Sum(c13); sums[10] = TVec.Sum(c14); sums[11] = TVec.Sum(c15);
        sums[12] = TVec.Sum(c20); sums[13] = TVec.Sum(c21); sums[14] = TVec.Sum(c22); sums[15] = TVec.Sum(c23); sums[16] = TVec.Sum(c24); sums[17] = TVec.Sum(c25);
        sums[18] = TVec.Sum(c30); sums[19] = TVec.Sum(c31); sums[20] = TVec.Sum(c32); sums[21] = TVec.Sum(c33); sums[22] = TVec.Sum(c34); sums[23] = TVec.Sum(c35);
    }
}
