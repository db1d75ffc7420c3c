using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>One GEMM, C = alpha · op(A) · op(B) + beta · C (row-major), as the blocked drivers see it.</summary>
internal unsafe struct GemmProblem
{
    public int M, N, K;
    public float Alpha, Beta;
    public float* A; public int Lda; public bool TransA;
    public float* B; public int Ldb; public bool TransB;
    public float* C; public int Ldc;
    /// <summary>Optional: rowBias[i] is added to row i of C (the conv forward's fused bias).</summary>
    public float* RowBias;
    /// <summary>Optional: op(A) already packed for every k block (block at p0 starts at PackedA + p0·RoundUp(M, MR)).</summary>
    public float* PackedA;
    /// <summary>Optional: op(B) already packed for every k block (block at p0 starts at PackedB + p0·RoundUp(N, NR)).</summary>
    public float* PackedB;
    /// <summary>The device's allowed paths; the drivers set it from their argument (the dot-product tasks read it here).</summary>
    public CpuPaths Paths;
    /// <summary>Columns of C per task of the dot-tile driver (a multiple of its 6-column tiles); it sets it.</summary>
    public int DotColumns;

    public static GemmProblem Create(bool transA, bool transB, int m, int n, int k, float alpha, float* a, float* b, float beta, float* c)
        => new()
        {
            M = m, N = n, K = k, Alpha = alpha, Beta = beta,
            A = a, Lda = transA ? m : k, TransA = transA,
            B = b, Ldb = transB ? k : n, TransB = transB,
            C = c, Ldc = n,
        };
}

/// <summary>
/// BLIS-style GEMM drivers around <see cref="CpuGemmMicroKernel{TVec}"/>: k is cut into KC-deep blocks so a kc×NR B panel
/// (16 KiB) stays in L1, rows into MC-high blocks so a packed A block (144 KiB) stays in L2, columns into NC-wide
/// blocks so the packed B block stays in L3. Within a block, each B panel is reused across every A panel.
/// </summary>
/// <remarks>
/// Every element of C is summed in the same order (k blocks in order, k ascending inside the kernel) whichever
/// driver and however many threads compute it, so results are bitwise identical across thread counts.
/// </remarks>
internal static unsafe partial class CpuGemm<TVec> where TVec : unmanaged, IVec<TVec>
{
    public static int MR => CpuGemmMicroKernel<TVec>.MR;
    public static int NR => CpuGemmMicroKernel<TVec>.NR;
    public const int KC = CpuGemm.KC;
    /// <summary>Rows of one packed A block: 144 (Vector256) or 336 (Vector512), 144 or 336 KiB, in L2.</summary>
    public static int MC => 24 * MR;
    public const int NC = 3072;      // columns of one packed B block
    /// <summary>Rows of A packed at once by the parallel driver (bounds its workspace).</summary>
    public static int MB => 16 * MC;
    private const long ParallelThreshold = CpuGemm.ParallelThreshold;

    /// <summary>Floats of scratch the serial driver needs (packed A block + packed B block).</summary>
    public static long SerialWorkspaceFloats => (long)MC * KC + (long)KC * NC;

    private static int RoundUp(int value, int multiple) => CpuGemm.RoundUp(value, multiple);

    /// <summary>Runs a GEMM with the calling thread alone or with the pool, whichever suits its size.</summary>
    public static void Run(WorkerPool pool, CpuPaths paths, ScratchMemory scratch, ref GemmProblem g)
    {
        if (g.M == 0 || g.N == 0) return;
        g.Paths = paths;
        if (g.M <= SmallM && g.TransB && !g.TransA && g.K > 0 && g.PackedA == null && g.PackedB == null && g.RowBias == null)
        {
            RunSmallM(pool, ref g);
            return;
        }
        if (TakesDotTiles(g, paths))
        {
            RunDotTiles(pool, ref g);
            return;
        }
        if (pool.Threads > 1 && (long)g.M * g.N * g.K >= ParallelThreshold && (paths & CpuPaths.FewRowsGemm) != 0 && g.M <= FewRowsMaxRows
            && g.PackedA == null && g.PackedB == null && g.K > 0)
        {
            RunFewRows(pool, scratch, ref g);
            return;
        }
        if (pool.Threads > 1 && (long)g.M * g.N * g.K >= ParallelThreshold)
        {
            long aFloats = g.PackedA != null ? 0 : ScratchMemory.Align((long)RoundUp(Math.Min(g.M, MB), MR) * KC);
            long bFloats = g.PackedB != null ? 0 : (long)KC * RoundUp(Math.Min(g.N, NC), NR);
            float* ws = scratch.Ensure(aFloats + bFloats);
            RunParallel(pool, paths, ref g, ws, ws + aFloats);
        }
        else
        {
            float* ws = scratch.Ensure(SerialWorkspaceFloats);
            RunSerial(ref g, ws, ws + (long)MC * KC);
        }
    }

    /// <summary>
    /// op(B) packed for every k block into <paramref name="dst"/> (K × RoundUp(N, NR) floats), the layout
    /// <see cref="GemmProblem.PackedB"/> names: block at p0 starts at dst + p0·RoundUp(N, NR).
    /// </summary>
    public static void PackWholeB(ref GemmProblem g, float* dst)
    {
        int nPad = RoundUp(g.N, NR);
        for (int pc = 0; pc < g.K; pc += KC)
            CpuGemmPacking<TVec>.PackB(dst + (long)pc * nPad, g.B, g.Ldb, g.TransB, pc, Math.Min(KC, g.K - pc), 0, g.N);
    }

    /// <summary>C = beta · C (or 0) when k = 0: the product is empty.</summary>
    private static void ScaleOnly(ref GemmProblem g)
    {
        for (int i = 0; i < g.M; i++)
        {
            float* row = g.C + (long)i * g.Ldc;
            float bias = g.RowBias == null ? 0f : g.RowBias[i];
            for (int j = 0; j < g.N; j++) row[j] = (g.Beta == 0 ? 0f : g.Beta * row[j]) + bias;
        }
    }

    /// <summary>The whole GEMM on the calling thread; apWork holds MC×KC floats, bpWork KC×NC.</summary>
    public static void RunSerial(ref GemmProblem g, float* apWork, float* bpWork)
    {
        if (g.M == 0 || g.N == 0) return;
        if (g.K == 0) { ScaleOnly(ref g); return; }
        int mPad = RoundUp(g.M, MR), nPad = RoundUp(g.N, NR);
        // With B pre-packed nothing is gained from wide blocks; narrow ones keep the C block in L2 across k blocks.
        int ncBlock = g.PackedB != null ? 512 : NC;
        for (int jc = 0; jc < g.N; jc += ncBlock)
        {
            int nc = Math.Min(ncBlock, g.N - jc);
            for (int pc = 0; pc < g.K; pc += KC)
            {
                int kc = Math.Min(KC, g.K - pc);
                float* bp;
                if (g.PackedB != null) bp = g.PackedB + (long)pc * nPad + (long)jc * kc;
                else { CpuGemmPacking<TVec>.PackB(bpWork, g.B, g.Ldb, g.TransB, pc, kc, jc, nc); bp = bpWork; }
                float beta = pc == 0 ? g.Beta : 1f;
                float* bias = pc == 0 ? g.RowBias : null;
                for (int ic = 0; ic < g.M; ic += MC)
                {
                    int mc = Math.Min(MC, g.M - ic);
                    float* ap;
                    if (g.PackedA != null) ap = g.PackedA + (long)pc * mPad + (long)ic * kc;
                    else { CpuGemmPacking<TVec>.PackA(apWork, g.A, g.Lda, g.TransA, ic, mc, pc, kc); ap = apWork; }
                    Macro(mc, nc, kc, ap, bp, g.C + (long)ic * g.Ldc + jc, g.Ldc, g.Alpha, beta, bias == null ? null : bias + ic);
                }
            }
        }
    }

    /// <summary>Every B panel of the block against every A panel: B panel in L1, A block in L2.</summary>
    public static void Macro(int mc, int nc, int kc, float* ap, float* bp, float* c, int ldc, float alpha, float beta, float* rowBias)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            float* b = bp + (long)jr * kc;
            for (int ir = 0; ir < mc; ir += MR)
            {
                int mr = Math.Min(MR, mc - ir);
                CpuGemmMicroKernel<TVec>.Run(kc, ap + (long)ir * kc, b, c + (long)ir * ldc + jr, ldc, alpha, beta,
                                    rowBias == null ? null : rowBias + ir, mr, nr);
            }
        }
    }

    /// <summary>What the parallel driver's tasks share for one (column block, row chunk, k block).</summary>
    private struct Phase
    {
        public GemmProblem* G;
        public int Jc, Nc, I0, Mb, Pc, Kc;
        public float* Ap, Bp;
        public int ATasks, BTasks;
        public int RowTiles, ColTiles, TileCols;
        public float Beta;
        public float* Bias;
    }

    private static int PackColumnsPerTask => 16 * NR;

    /// <summary>
    /// Multi-threaded: per block, the workers first pack A (MC rows per task) and B (256 columns per task)
    /// together, then compute independent tiles of C (MC rows × TileCols columns) from the shared panels.
    /// </summary>
    public static void RunParallel(WorkerPool pool, CpuPaths paths, ref GemmProblem g, float* apAll, float* bpAll)
    {
        if (g.M == 0 || g.N == 0) return;
        if (g.K == 0) { ScaleOnly(ref g); return; }
        int mPad = RoundUp(g.M, MR), nPad = RoundUp(g.N, NR);
        fixed (GemmProblem* gp = &g)
        {
            Phase ph = default;
            ph.G = gp;
            // Column blocks of even width (at most NC): N = 3136 as 2 × 1568, not 3072 + a thin 64 whose k blocks each
            // cost two pool hand-offs for little work. Blocks only regroup columns, so no sum changes order.
            int ncBlock = (paths & CpuPaths.EvenColumnBlocks) != 0 ? RoundUp((g.N + (g.N + NC - 1) / NC - 1) / ((g.N + NC - 1) / NC), NR) : NC;
            for (int jc = 0; jc < g.N; jc += ncBlock)
            {
                int nc = Math.Min(ncBlock, g.N - jc);
                for (int i0 = 0; i0 < g.M; i0 += MB)
                {
                    int mb = Math.Min(MB, g.M - i0);
                    ph.RowTiles = (mb + MC - 1) / MC;
                    // Enough column tiles for about four tasks per thread, each a multiple of NR wide.
                    int colTiles = Math.Max(1, (4 * pool.Threads + ph.RowTiles - 1) / ph.RowTiles);
                    ph.TileCols = Math.Min(RoundUp((nc + colTiles - 1) / colTiles, NR), 1024);
                    ph.ColTiles = (nc + ph.TileCols - 1) / ph.TileCols;
                    for (int pc = 0; pc < g.K; pc += KC)
                    {
                        int kc = Math.Min(KC, g.K - pc);
                        (ph.Jc, ph.Nc, ph.I0, ph.Mb, ph.Pc, ph.Kc) = (jc, nc, i0, mb, pc, kc);
                        ph.Ap = g.PackedA != null ? g.PackedA + (long)pc * mPad + (long)i0 * kc : apAll;
                        ph.Bp = g.PackedB != null ? g.PackedB + (long)pc * nPad + (long)jc * kc : bpAll;
                        ph.ATasks = g.PackedA != null ? 0 : ph.RowTiles;
                        ph.BTasks = g.PackedB != null ? 0 : (nc + PackColumnsPerTask - 1) / PackColumnsPerTask;
                        ph.Beta = pc == 0 ? g.Beta : 1f;
                        ph.Bias = pc == 0 && g.RowBias != null ? g.RowBias + i0 : null;
                        pool.For(ph.ATasks + ph.BTasks, &PackTask, &ph);
                        pool.For(ph.RowTiles * ph.ColTiles, &TileTask, &ph);
                    }
                }
            }
        }
    }

    private static void PackTask(void* context, int task, int worker)
    {
        var ph = (Phase*)context;
        var g = ph->G;
        if (task < ph->ATasks)
        {
            int ic = task * MC;
            CpuGemmPacking<TVec>.PackA(ph->Ap + (long)ic * ph->Kc, g->A, g->Lda, g->TransA, ph->I0 + ic, Math.Min(MC, ph->Mb - ic), ph->Pc, ph->Kc);
        }
        else
        {
            int j = (task - ph->ATasks) * PackColumnsPerTask;
            CpuGemmPacking<TVec>.PackB(ph->Bp + (long)j * ph->Kc, g->B, g->Ldb, g->TransB, ph->Pc, ph->Kc, ph->Jc + j, Math.Min(PackColumnsPerTask, ph->Nc - j));
        }
    }

    private static void TileTask(void* context, int task, int worker)
    {
        var ph = (Phase*)context;
        var g = ph->G;
        int ic = task % ph->RowTiles * MC;
        int jt = task / ph->RowTiles * ph->TileCols;
        int mc = Math.Min(MC, ph->Mb - ic), nc = Math.Min(ph->TileCols, ph->Nc - jt);
        float* c = g->C + (long)(ph->I0 + ic) * g->Ldc + ph->Jc + jt;
        Macro(mc, nc, ph->Kc, ph->Ap + (long)ic * ph->Kc, ph->Bp + (long)jt * ph->Kc, c, g->Ldc, g->Alpha, ph->Beta,
              ph->Bias == null ? null : ph->Bias + ic);
    }

    /// <summary>
    /// Most rows the few-rows driver takes (144, the 256-bit MC): its column tiles are the only parallelism, so a
    /// taller GEMM with few columns (a 256-image batch through a 10-wide layer) runs on the blocked driver's row tiles.
    /// </summary>
    private const int FewRowsMaxRows = 144;

    /// <summary>Widest column tile of the few-rows driver: its packed B (KC × 256, 256 KiB) stays in L2.</summary>
    private const int FewRowsTileCols = 256;

    private struct FewRows
    {
        public GemmProblem* G;
        public float* Ap, Bp;
        public int MPad, TileCols, KBlocks;
    }

    /// <summary>
    /// Up to MC rows (Linear layers at batch 64): op(A) is packed whole once (a k block per task), then each task
    /// takes one column tile through every k block, packing its B panel into its own L2-sized buffer and using it
    /// at once. Two pool hand-offs in all, not two per k block, and the large operand never makes a round trip
    /// through L3 as a packed block. Each element of C still adds its k blocks in order with the same kernel, so
    /// the bits are the blocked driver's.
    /// </summary>
    private static void RunFewRows(WorkerPool pool, ScratchMemory scratch, ref GemmProblem g)
    {
        int mPad = RoundUp(g.M, MR);
        int tileCols = Math.Min(FewRowsTileCols, RoundUp((g.N + 4 * pool.Threads - 1) / (4 * pool.Threads), NR));
        long aFloats = ScratchMemory.Align((long)mPad * g.K);
        long bFloats = ScratchMemory.Align((long)KC * tileCols);
        float* ws = scratch.Ensure(aFloats + bFloats * pool.Threads);
        fixed (GemmProblem* gp = &g)
        {
            var job = new FewRows { G = gp, Ap = ws, Bp = ws + aFloats, MPad = mPad, TileCols = tileCols, KBlocks = (g.K + KC - 1) / KC };
            pool.For(job.KBlocks, &FewRowsPackA, &job);
            pool.For((g.N + tileCols - 1) / tileCols, &FewRowsTile, &job);
        }
    }

    private static void FewRowsPackA(void* context, int task, int worker)
    {
        var job = (FewRows*)context;
        var g = job->G;
        int pc = task * KC;
        CpuGemmPacking<TVec>.PackA(job->Ap + (long)pc * job->MPad, g->A, g->Lda, g->TransA, 0, g->M, pc, Math.Min(KC, g->K - pc));
    }

    private static void FewRowsTile(void* context, int task, int worker)
    {
        var job = (FewRows*)context;
        var g = job->G;
        int j0 = task * job->TileCols, nc = Math.Min(job->TileCols, g->N - j0);
        float* bp = job->Bp + worker * ScratchMemory.Align((long)KC * job->TileCols);
        for (int pc = 0; pc < g->K; pc += KC)
        {
            int kc = Math.Min(KC, g->K - pc);
            CpuGemmPacking<TVec>.PackB(bp, g->B, g->Ldb, g->TransB, pc, kc, j0, nc);
            Macro(g->M, nc, kc, job->Ap + (long)pc * job->MPad, bp, g->C + j0, g->Ldc, g->Alpha, pc == 0 ? g->Beta : 1f,
                  pc == 0 ? g->RowBias : null);
        }
    }

    /// <summary>Most rows of C the dot-product path takes (batch-1..4 inference through a Linear layer).</summary>
    public const int SmallM = CpuGemm.SmallM;
    private const int SmallMColumnsPerTask = 64;

    /// <summary>
    /// C = alpha · A · Bᵀ + beta · C for a few rows: every element a dot product of two contiguous rows, so B (the
    /// weights, n×k) is streamed once and never packed (packing would copy all of it for a few rows of work).
    /// Each dot product is summed in an order fixed by k alone, on any thread.
    /// </summary>
    private static void RunSmallM(WorkerPool pool, ref GemmProblem g)
    {
        fixed (GemmProblem* gp = &g)
        {
            int tasks = (g.N + SmallMColumnsPerTask - 1) / SmallMColumnsPerTask;
            if (pool.Threads > 1 && (long)g.M * g.N * g.K >= ParallelThreshold) pool.For(tasks, &SmallMTask, gp);
            else for (int t = 0; t < tasks; t++) SmallMTask(gp, t, 0);
        }
    }

    // No MethodImplOptions.AggressiveOptimization on these generic kernels: a method compiled that way skips tiering,
    // and in code generic over the vector struct it made the kernels slower (measured on the direct
    // convolution: 1.74 vs 0.41 ms for N=64, C=1, 28x28, 32 filters 5x5); tiered compilation reaches full
    // optimisation after a few calls.
    private static void SmallMTask(void* context, int task, int worker)
    {
        var g = (GemmProblem*)context;
        int j0 = task * SmallMColumnsPerTask, j1 = Math.Min(g->N, j0 + SmallMColumnsPerTask);
        int j = j0;
        bool grouped = (g->Paths & CpuPaths.GroupedDotProducts) != 0;
        if (grouped)
            for (; j + 2 < j1; j += 3)
            {
                float* b0 = g->B + (long)j * g->Ldb;
                for (int i = 0; i < g->M; i++)
                {
                    DotTriple(g->A + (long)i * g->Lda, b0, b0 + g->Ldb, b0 + 2L * g->Ldb, g->K, out float d0, out float d1, out float d2);
                    float* c = g->C + (long)i * g->Ldc + j;
                    if (g->Beta == 0f) { c[0] = g->Alpha * d0; c[1] = g->Alpha * d1; c[2] = g->Alpha * d2; }
                    else { c[0] = g->Alpha * d0 + g->Beta * c[0]; c[1] = g->Alpha * d1 + g->Beta * c[1]; c[2] = g->Alpha * d2 + g->Beta * c[2]; }
                }
            }
        if (grouped)
            for (; j + 1 < j1; j += 2)
            {
                float* b0 = g->B + (long)j * g->Ldb;
                for (int i = 0; i < g->M; i++)
                {
                    DotPair(g->A + (long)i * g->Lda, b0, b0 + g->Ldb, g->K, out float d0, out float d1);
                    float* c = g->C + (long)i * g->Ldc + j;
                    if (g->Beta == 0f) { c[0] = g->Alpha * d0; c[1] = g->Alpha * d1; }
                    else { c[0] = g->Alpha * d0 + g->Beta * c[0]; c[1] = g->Alpha * d1 + g->Beta * c[1]; }
                }
            }
        for (; j < j1; j++)
        {
            float* b = g->B + (long)j * g->Ldb;
            for (int i = 0; i < g->M; i++)
            {
                float dot = Dot(g->A + (long)i * g->Lda, b, g->K);
                float* c = g->C + (long)i * g->Ldc + j;
                *c = g->Beta == 0f ? g->Alpha * dot : g->Alpha * dot + g->Beta * *c;
            }
        }
    }

    private static float Dot(float* a, float* b, int k)
    {
        var s0 = TVec.Zero;
        var s1 = s0; var s2 = s0; var s3 = s0;
        int p = 0;
        for (; p <= k - 4 * L; p += 4 * L)
        {
            s0 = MulAdd(TVec.Load(a + p), TVec.Load(b + p), s0);
            s1 = MulAdd(TVec.Load(a + p + L), TVec.Load(b + p + L), s1);
            s2 = MulAdd(TVec.Load(a + p + 2 * L), TVec.Load(b + p + 2 * L), s2);
            s3 = MulAdd(TVec.Load(a + p + 3 * L), TVec.Load(b + p + 3 * L), s3);
        }
        for (; p <= k - L; p += L)
            s0 = MulAdd(TVec.Load(a + p), TVec.Load(b + p), s0);
        float sum = TVec.Sum((s0 + s1) + (s2 + s3));
        for (; p < k; p++) sum += a[p] * b[p];
        return sum;
    }

    /// <summary>
    /// Two dot products against the same row a, each summed in exactly <see cref="Dot"/>'s order (so the bits are
    /// Dot's): every load of a feeds two FMAs, which lifts the load-port bound of the one-row loop.
    /// </summary>
    private static void DotPair(float* a, float* b0, float* b1, int k, out float d0, out float d1)
    {
        var s0 = TVec.Zero;
        var s1 = s0; var s2 = s0; var s3 = s0;
        var t0 = s0; var t1 = s0; var t2 = s0; var t3 = s0;
        int p = 0;
        for (; p <= k - 4 * L; p += 4 * L)
        {
            var a0 = TVec.Load(a + p);
            var a1 = TVec.Load(a + p + L);
            var a2 = TVec.Load(a + p + 2 * L);
            var a3 = TVec.Load(a + p + 3 * L);
            s0 = MulAdd(a0, TVec.Load(b0 + p), s0);
            t0 = MulAdd(a0, TVec.Load(b1 + p), t0);
            s1 = MulAdd(a1, TVec.Load(b0 + p + L), s1);
            t1 = MulAdd(a1, TVec.Load(b1 + p + L), t1);
            s2 = MulAdd(a2, TVec.Load(b0 + p + 2 * L), s2);
            t2 = MulAdd(a2, TVec.Load(b1 + p + 2 * L), t2);
            s3 = MulAdd(a3, TVec.Load(b0 + p + 3 * L), s3);
            t3 = MulAdd(a3, TVec.Load(b1 + p + 3 * L), t3);
        }
        for (; p <= k - L; p += L)
        {
            var a0 = TVec.Load(a + p);
            s0 = MulAdd(a0, TVec.Load(b0 + p), s0);
            t0 = MulAdd(a0, TVec.Load(b1 + p), t0);
        }
        float sum0 = TVec.Sum((s0 + s1) + (s2 + s3));
        float sum1 = TVec.Sum((t0 + t1) + (t2 + t3));
        for (; p < k; p++) { sum0 += a[p] * b0[p]; sum1 += a[p] * b1[p]; }
        d0 = sum0; d1 = sum1;
    }

    /// <summary><see cref="DotPair"/> for three weight rows (12 accumulators + 4 of a: all 16 ymm registers), Dot's order each.</summary>
    private static void DotTriple(float* a, float* b0, float* b1, float* b2, int k, out float d0, out float d1, out float d2)
    {
        var s0 = TVec.Zero;
        var s1 = s0; var s2 = s0; var s3 = s0;
        var t0 = s0; var t1 = s0; var t2 = s0; var t3 = s0;
        var u0 = s0; var u1 = s0; var u2 = s0; var u3 = s0;
        int p = 0;
        for (; p <= k - 4 * L; p += 4 * L)
        {
            var a0 = TVec.Load(a + p);
            s0 = MulAdd(a0, TVec.Load(b0 + p), s0);
            t0 = MulAdd(a0, TVec.Load(b1 + p), t0);
            u0 = MulAdd(a0, TVec.Load(b2 + p), u0);
            var a1 = TVec.Load(a + p + L);
            s1 = MulAdd(a1, TVec.Load(b0 + p + L), s1);
            t1 = MulAdd(a1, TVec.Load(b1 + p + L), t1);
            u1 = MulAdd(a1, TVec.Load(b2 + p + L), u1);
            var a2 = TVec.Load(a + p + 2 * L);
            s2 = MulAdd(a2, TVec.Load(b0 + p + 2 * L), s2);
            t2 = MulAdd(a2, TVec.Load(b1 + p + 2 * L), t2);
            u2 = MulAdd(a2, TVec.Load(b2 + p + 2 * L), u2);
            var a3 = TVec.Load(a + p + 3 * L);
            s3 = MulAdd(a3, TVec.Load(b0 + p + 3 * L), s3);
            t3 = MulAdd(a3, TVec.Load(b1 + p + 3 * L), t3);
            u3 = MulAdd(a3, TVec.Load(b2 + p + 3 * L), u3);
        }
        for (; p <= k - L; p += L)
        {
            var a0 = TVec.Load(a + p);
            s0 = MulAdd(a0, TVec.Load(b0 + p), s0);
            t0 = MulAdd(a0, TVec.Load(b1 + p), t0);
            u0 = MulAdd(a0, TVec.Load(b2 + p), u0);
        }
        float sum0 = TVec.Sum((s0 + s1) + (s2 + s3));
        float sum1 = TVec.Sum((t0 + t1) + (t2 + t3));
        float sum2 = TVec.Sum((u0 + u1) + (u2 + u3));
        for (; p < k; p++) { sum0 += a[p] * b0[p]; sum1 += a[p] * b1[p]; sum2 += a[p] * b2[p]; }
        d0 = sum0; d1 = sum1; d2 = sum2;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static TVec MulAdd(TVec a, TVec b, TVec c) => TVec.MulAdd(a, b, c);

    /// <summary>Floats per vector.</summary>
    private static int L => TVec.Count;
}

/// <summary>The GEMM's blocking constants that do not depend on the vector width.</summary>
internal static class CpuGemm
{
    /// <summary>Depth of a k block: a kc × NR panel of B stays in L1.</summary>
    public const int KC = 256;
    /// <summary>Below this many multiply-adds a GEMM runs on the calling thread only (waking workers costs more).</summary>
    public const long ParallelThreshold = 1L << 20;
    /// <summary>Most rows of C the dot-product path takes (batch-1..4 inference through a Linear layer).</summary>
    public const int SmallM = 4;

    public static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
