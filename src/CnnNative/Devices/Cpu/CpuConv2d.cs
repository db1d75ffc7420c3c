using System.Runtime.Intrinsics;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The cpu device's convolution. Each op first tries the faster paths that fit its shape, each chosen after a
/// same-process A/B: the direct wide-row paths (CpuConv2d.Direct.cs: one input channel; the forward of a few
/// channels and the backward filter of larger images; CpuConv2d.DenseDirect.cs also takes the backward data of a few
/// channels and filters, CpuConv2d.DenseFilter.cs the direct backward filter), then the implicit GEMM (CpuConv2d.Implicit.cs: stride 1,
/// up to 128 filters; backward data of same-padded layers through flipped filters). What is left is computed here:
/// convolution as GEMM on lowered images (im2col), one chunk of <see cref="Chunk"/> output positions at a time so
/// the lowered columns stay in L2 (a whole image's would stream megabytes through L3):
/// <list type="bullet">
/// <item>forward: y[n][:, chunk] = W (K × CRS) · col (CRS × chunk) + bias; W is packed once per call, the chunk is
/// lowered straight into packed-panel form, and the bias is added in the micro-kernel's store. Tasks are
/// (image, chunk) pairs, each on one worker's scratch memory.</item>
/// <item>backward data: per chunk dcol = Wᵀ · dy[n][:, chunk], then col2im adds it into dx[n] (cleared first).
/// Chunks of one image overlap in dx, so tasks are whole images.</item>
/// <item>backward filter: dw += Σ_n Σ_chunk dy[n][:, chunk] · colᵀ, into a fixed number of partial sums (slots of
/// images) added in order at the end; db += Σ dy.</item>
/// </list>
/// With fewer images than threads, the work inside an image is split instead (GEMM tiles, lowering rows,
/// col2im channels). Every output is summed in the same order on either schedule and for any thread count.
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>(WorkerPool pool, ScratchMemory shared, ScratchMemory perWorker, CpuPaths paths,
                                                     CpuPackedWeights? packed)
    where TVec : unmanaged, IVec<TVec>
{
    private static int MR => CpuGemm<TVec>.MR;
    private static int NR => CpuGemm<TVec>.NR;
    private const int KC = CpuGemm.KC;
    /// <summary>Most output positions lowered at once: 256 (= KC, one k block of the backward-filter GEMM).</summary>
    public const int Chunk = 256;
    /// <summary>Target size of one lowered chunk.</summary>
    private const int ChunkBytes = 1024 * 1024;
    /// <summary>Column-matrix rows one lowering task writes when a single image is split over the pool.</summary>
    private const int RowsPerTask = 16;
    /// <summary>Backward-filter partial sums kept apart (then added in order) whatever the thread count, up to this many.</summary>
    private const int FilterSlots = 4;

    private struct Job
    {
        public Conv2dGeometry G;
        public float* X, W, Bias, Y, Dy, Dx, Dw, Db;
        public float* PackedW;      // forward: W as packed A; backward data: Wᵀ as packed A
        public float* Col;          // one-image schedule: the current chunk's column matrix
        public float* Scratch;      // per-worker regions, WorkerStride floats apart
        public long WorkerStride;
        public float* Partials;     // backward filter: Slots × K·CRS
        public int Slots;
        public int PartialsLd;      // implicit backward filter: partials are Slots × C·R·S × PartialsLd, filters last
        public long SliceFloats;    // forward, stride 1: the padded input slice per worker (0: lower from x directly)
        public int Image, J0, J1;   // one-image schedule: the chunk being worked on
        public readonly int Crs => G.C * G.R * G.S;
        public readonly int Pq => G.P * G.Q;
        /// <summary>
        /// Most output positions per chunk: a lowered chunk of at most about 1 MiB (one L2) so layers with a long
        /// C·R·S keep the chunk near the cache, 64 to <see cref="Chunk"/> wide, a multiple of 16. (512 KiB measured
        /// the same on the anchor shapes, within the shared machine's noise.)
        /// </summary>
        public readonly int MaxChunkCols => SplitSingleImage && G.N == 1
            ? Math.Min(Math.Clamp((ChunkBytes / sizeof(float) / Crs) / NR * NR, 64, Chunk), Math.Max(NR, CpuGemm.RoundUp((Pq + 1) / 2, NR)))
            : Math.Clamp((ChunkBytes / sizeof(float) / Crs) / NR * NR, 64, Chunk);
        /// <summary>
        /// Forward only: one image is cut into at least two chunks so batch-1 inference has a task per core. Each output
        /// is still summed over k in the same order, so the chunking changes no bits.
        /// </summary>
        public bool SplitSingleImage;
        /// <summary>Forward: ReLU applied to each chunk's outputs right after its GEMM, while they are in cache.</summary>
        public bool Relu;
        public readonly int Chunks => (Pq + MaxChunkCols - 1) / MaxChunkCols;
        /// <summary>
        /// Width of every chunk but the last: P·Q split evenly (to multiples of 16), so no thin last chunk
        /// streams all of W for a few columns. Depends on the geometry only, never on the thread count.
        /// </summary>
        public readonly int ChunkCols => Math.Min(MaxChunkCols, CpuGemm.RoundUp((Pq + Chunks - 1) / Chunks, NR));
        public readonly long ImageIn => (long)G.C * G.H * G.W;
        public readonly long ImageOut => (long)G.K * Pq;
    }

    private static readonly long ColFloats = Chunk; // per CRS row

    /// <summary>The width this instance runs, for the planner.</summary>
    private static CpuIsa Isa => TVec.Count == 16 ? CpuIsa.Vector512 : CpuIsa.Vector256;

    /// <summary>
    /// Where a forward packs its filters: the device's cached copy of <paramref name="filters"/> for this layout
    /// (pack false: it holds this version's packing already), or the shared scratch (pack true) the first time a
    /// version is seen or without a cache. The scratch is the shared block's start, which the forward paths leave
    /// to the filters.
    /// </summary>
    private float* PackedFilters(DeviceBuffer? filters, PackedRole role, in Conv2dGeometry g, long floats, out bool pack)
    {
        if (packed is not null && filters is not null)
        {
            float* cached = packed.Find(filters, new PackKey(role, NR, false, g.K, g.C * g.R * g.S), floats, out pack);
            if (cached != null) return cached;
        }
        pack = true;
        return shared.Ensure(floats);
    }

    private bool Parallel(long multiplyAdds) => pool.Threads > 1 && multiplyAdds >= CpuGemm.ParallelThreshold;

    private void For(int count, delegate*<void*, int, int, void> body, void* context, bool parallel)
    {
        if (parallel) pool.For(count, body, context);
        else for (int i = 0; i < count; i++) body(context, i, 0);
    }

    // ------------------------------------------------------------------ forward

    /// <summary>
    /// Whether the forward of <paramref name="g"/> can write its output channel-blocked in vectors of this width, and
    /// read x blocked (<paramref name="readsBlocks"/>): Winograd's (filters a whole number of vectors) does both, the
    /// blocked direct forward of a few channels writes blocks (its x has too few channels to be blocked).
    /// </summary>
    public bool WritesBlocks(in Conv2dGeometry g, out bool readsBlocks)
    {
        readsBlocks = CpuConv2dPlanner.Forward(g, paths, Isa) == Conv2dAlgorithm.Winograd;
        return readsBlocks ? g.K % TVec.Count == 0 : BlockedDirectFits(g);
    }

    /// <summary>
    /// y = conv(x, w) + bias, with ReLU applied in the store when <paramref name="relu"/>. The filters' packed copy
    /// comes from the device's cache when <paramref name="filters"/> was packed before at its current version.
    /// </summary>
    /// <paramref name="xBlock"/> and <paramref name="yBlocked"/>: channel-blocked x and y (<see cref="CpuKernels.Conv2dForward"/>),
    /// where <see cref="WritesBlocks"/> says so.
    public void Forward(in Conv2dGeometry g, float* x, DeviceBuffer filters, float* bias, float* y, bool relu = false, int xBlock = 0, bool yBlocked = false)
    {
        float* w = ((HostBuffer)filters).Pointer;
        if (yBlocked && BlockedDirectFits(g))
        {
            BlockedDirectForward(g, x, w, bias, y, relu, filters);
            return;
        }
        switch (CpuConv2dPlanner.Forward(g, paths, Isa))
        {
            case Conv2dAlgorithm.Direct: DirectForward(g, x, w, bias, y, relu, filters); return;
            case Conv2dAlgorithm.Implicit: ImplicitForward(g, x, w, bias, y, relu: relu, filterBuffer: filters); return;
            case Conv2dAlgorithm.Winograd: WinogradForward(g, x, w, bias, y, relu, filters, xBlock: xBlock, yBlocked: yBlocked); return;
        }
        var job = new Job { G = g, X = x, W = w, Bias = bias, Y = y, Relu = relu, SplitSingleImage = (paths & CpuPaths.SplitSingleImage) != 0 };
        int crs = job.Crs, mPad = CpuGemm.RoundUp(g.K, MR);
        job.PackedW = PackedFilters(filters, PackedRole.LoweringFilters, g, (long)mPad * crs, out bool pack);
        if (pack)
            for (int pc = 0; pc < crs; pc += KC)
                CpuGemmPacking<TVec>.PackA(job.PackedW + (long)pc * mPad, w, crs, false, 0, g.K, pc, Math.Min(KC, crs - pc));
        job.SliceFloats = g.StrideH == 1 && g.StrideW == 1 ? ScratchMemory.Align(CpuIm2Col<TVec>.SliceFloats(g, job.ChunkCols)) : 0;
        job.WorkerStride = ScratchMemory.Align(crs * ColFloats) + Chunk + 2 * NR + job.SliceFloats;
        job.Scratch = perWorker.Ensure(job.WorkerStride * pool.Threads);
        For(g.N * job.Chunks, &ForwardChunkTask, &job, Parallel((long)g.K * crs * job.Pq * g.N));
    }

    private static void ForwardChunkTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        int n = task / job->Chunks, j0 = task % job->Chunks * job->ChunkCols, j1 = Math.Min(job->Pq, j0 + job->ChunkCols);
        float* col = job->Scratch + worker * job->WorkerStride;
        float* tmp = col + ScratchMemory.Align(job->Crs * ColFloats);
        if (job->SliceFloats > 0)
        {
            float* slice = tmp + Chunk + 2 * NR;
            CpuIm2Col<TVec>.PaddedSlice(job->X + n * job->ImageIn, g, slice, j0, j1);
            CpuIm2Col<TVec>.PackedRowsFromSlice(slice, g, col, j0, j1, tmp);
        }
        else CpuIm2Col<TVec>.PackedRows(job->X + n * job->ImageIn, g, col, 0, job->Crs, j0, j1, tmp);
        var gp = new GemmProblem
        {
            M = g.K, N = j1 - j0, K = job->Crs, Alpha = 1f, Beta = 0f,
            C = job->Y + n * job->ImageOut + j0, Ldc = job->Pq,
            RowBias = job->Bias, PackedA = job->PackedW, PackedB = col,
        };
        CpuGemm<TVec>.RunSerial(ref gp, null, null);
        if (job->Relu)
            for (int k = 0; k < g.K; k++) ReluInPlace(gp.C + (long)k * job->Pq, j1 - j0);
    }

    /// <summary>x = max(x, 0) as the activation op computes it (NaN gives 0), n floats.</summary>
    private static void ReluInPlace(float* x, int n)
    {
        int i = 0;
        for (; i <= n - TVec.Count; i += TVec.Count) TVec.Store(TVec.Relu(TVec.Load(x + i)), x + i);
        for (; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0f;
    }

    // ------------------------------------------------------------------ backward data

    public void BackwardData(in Conv2dGeometry g, float* dy, float* w, float* dx)
    {
        switch (CpuConv2dPlanner.BackwardData(g, paths, out var transposed, Isa))
        {
            case Conv2dAlgorithm.Direct: DirectForward(transposed, dy, w, null, dx, relu: false, filters: null, flipped: true); return;
            case Conv2dAlgorithm.Implicit: ImplicitForward(transposed, dy, w, null, dx, flipped: true); return;
            case Conv2dAlgorithm.Winograd: WinogradForward(transposed, dy, w, null, dx, relu: false, filterBuffer: null, flipped: true); return;
            case Conv2dAlgorithm.Scatter: ScatterBackwardData(g, dy, w, dx); return;
        }
        var job = new Job { G = g, Dy = dy, W = w, Dx = dx };
        int crs = job.Crs, crsPad = CpuGemm.RoundUp(crs, MR);
        bool splitImages = pool.Threads > 1 && g.N >= pool.Threads;
        bool split = !splitImages && Parallel((long)crs * job.Pq * g.K);
        long packedFloats = ScratchMemory.Align((long)crsPad * g.K);
        long bpFloats = (long)KC * Chunk;
        float* sh = shared.Ensure(packedFloats + bpFloats);
        job.PackedW = sh;
        for (int pc = 0; pc < g.K; pc += KC)
            CpuGemmPacking<TVec>.PackA(job.PackedW + (long)pc * crsPad, w, crs, true, 0, crs, pc, Math.Min(KC, g.K - pc));

        job.WorkerStride = ScratchMemory.Align(crs * ColFloats) + bpFloats;
        if (splitImages)
        {
            job.Scratch = perWorker.Ensure(job.WorkerStride * pool.Threads);
            pool.For(g.N, &BackwardDataImageTask, &job);
            return;
        }
        job.Scratch = job.Col = perWorker.Ensure(job.WorkerStride);
        for (int n = 0; n < g.N; n++)
        {
            if (!split) { BackwardDataImageTask(&job, n, 0); continue; }
            new Span<float>(dx + n * job.ImageIn, (int)job.ImageIn).Clear();
            job.Image = n;
            for (job.J0 = 0; job.J0 < job.Pq; job.J0 += job.ChunkCols)
            {
                job.J1 = Math.Min(job.Pq, job.J0 + job.ChunkCols);
                var gp = BackwardDataGemm(ref job, n, job.J0, job.J1, job.Col);
                CpuGemm<TVec>.RunParallel(pool, paths, ref gp, null, sh + packedFloats);
                pool.For(g.C, &AddBackChannelTask, &job);
            }
        }
    }

    private static GemmProblem BackwardDataGemm(ref Job job, int n, int j0, int j1, float* dcol) => new()
    {
        M = job.Crs, N = j1 - j0, K = job.G.K, Alpha = 1f, Beta = 0f,
        PackedA = job.PackedW,
        B = job.Dy + n * job.ImageOut + j0, Ldb = job.Pq, TransB = false,
        C = dcol, Ldc = j1 - j0,
    };

    private static void BackwardDataImageTask(void* context, int n, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        float* dcol = job->Scratch + worker * job->WorkerStride;
        float* bp = dcol + ScratchMemory.Align(job->Crs * ColFloats);
        float* dx = job->Dx + n * job->ImageIn;
        new Span<float>(dx, (int)job->ImageIn).Clear();
        for (int j0 = 0; j0 < job->Pq; j0 += job->ChunkCols)
        {
            int j1 = Math.Min(job->Pq, j0 + job->ChunkCols);
            var gp = BackwardDataGemm(ref *job, n, j0, j1, dcol);
            CpuGemm<TVec>.RunSerial(ref gp, null, bp);
            for (int c = 0; c < g.C; c++) CpuIm2Col<TVec>.AddBackChannel(dcol, g, dx, c, j0, j1);
        }
    }

    private static void AddBackChannelTask(void* context, int c, int worker)
    {
        var job = (Job*)context;
        CpuIm2Col<TVec>.AddBackChannel(job->Col, job->G, job->Dx + job->Image * job->ImageIn, c, job->J0, job->J1);
    }

    // ------------------------------------------------------------------ backward filter

    public void BackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db)
    {
        switch (CpuConv2dPlanner.BackwardFilter(g, paths, Isa))
        {
            case Conv2dAlgorithm.Direct: DirectBackwardFilter(g, x, dy, dw, db); return;
            case Conv2dAlgorithm.Implicit: ImplicitBackwardFilter(g, x, dy, dw, db); return;
            case Conv2dAlgorithm.Winograd: WinogradBackwardFilter(g, x, dy, dw, db); return;
        }
        var job = new Job { G = g, X = x, Dy = dy, Dw = dw, Db = db };
        int crs = job.Crs;
        long filterFloats = (long)g.K * crs;
        // Slots depend on the batch only (for up to FilterSlots threads), so 1 and 2 threads give identical bits.
        job.Slots = Math.Min(g.N, Math.Max(FilterSlots, pool.Threads));
        bool splitSlots = pool.Threads > 1 && job.Slots >= pool.Threads;
        bool split = !splitSlots && Parallel(filterFloats * job.Pq);
        long partialFloats = ScratchMemory.Align(job.Slots * filterFloats);
        long apAll = ScratchMemory.Align((long)CpuGemm.RoundUp(Math.Min(g.K, CpuGemm<TVec>.MB), MR) * KC);
        long bpAll = (long)KC * CpuGemm.RoundUp(Math.Min(crs, CpuGemm<TVec>.NC), NR);
        float* sh = shared.Ensure(partialFloats + (split ? apAll + bpAll : 0));
        job.Partials = sh;

        job.SliceFloats = g.StrideH == 1 && g.StrideW == 1 && (paths & CpuPaths.LowerFromPaddedSlice) != 0 ? ScratchMemory.Align(CpuIm2Col<TVec>.SliceFloats(g, job.ChunkCols)) : 0;
        // The padded slice sits after the GEMM's scratch; the col region keeps 16 floats of room for vector spill.
        job.WorkerStride = ScratchMemory.Align(crs * ColFloats + 2 * NR) + CpuGemm<TVec>.SerialWorkspaceFloats + job.SliceFloats;
        if (splitSlots)
        {
            job.Scratch = perWorker.Ensure(job.WorkerStride * pool.Threads);
            pool.For(job.Slots, &FilterSlotTask, &job);
        }
        else if (!split)
        {
            job.Scratch = perWorker.Ensure(job.WorkerStride);
            for (int slot = 0; slot < job.Slots; slot++) FilterSlotTask(&job, slot, 0);
        }
        else
        {
            job.Col = perWorker.Ensure(job.WorkerStride);
            for (int slot = 0; slot < job.Slots; slot++)
            {
                var (n0, n1) = SlotImages(ref job, slot);
                for (int n = n0; n < n1; n++)
                {
                    job.Image = n;
                    for (job.J0 = 0; job.J0 < job.Pq; job.J0 += job.ChunkCols)
                    {
                        job.J1 = Math.Min(job.Pq, job.J0 + job.ChunkCols);
                        pool.For((crs + RowsPerTask - 1) / RowsPerTask, &LowerRowsTask, &job);
                        var gp = FilterGemm(ref job, n, job.J0, job.J1, job.Col, slot, n == n0 && job.J0 == 0);
                        CpuGemm<TVec>.RunParallel(pool, paths, ref gp, sh + partialFloats, sh + partialFloats + apAll);
                    }
                }
            }
        }
        // dw += Σ_slot partial[slot], slots in order; db[k] += Σ_n Σ_pq dy[n, k].
        For((int)((filterFloats + ParallelRange.Chunk - 1) / ParallelRange.Chunk), &AddPartialsTask, &job, pool.Threads > 1);
        if (db != null) BiasGradient(g, job.Dy, db);
    }

    private static (int First, int End) SlotImages(ref Job job, int slot)
        => ((int)((long)slot * job.G.N / job.Slots), (int)((long)(slot + 1) * job.G.N / job.Slots));

    private static GemmProblem FilterGemm(ref Job job, int n, int j0, int j1, float* col, int slot, bool first) => new()
    {
        M = job.G.K, N = job.Crs, K = j1 - j0, Alpha = 1f, Beta = first ? 0f : 1f,
        A = job.Dy + n * job.ImageOut + j0, Lda = job.Pq, TransA = false,
        B = col, Ldb = j1 - j0, TransB = true,
        C = job.Partials + (long)slot * job.G.K * job.Crs, Ldc = job.Crs,
    };

    private static void FilterSlotTask(void* context, int slot, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        float* col = job->Scratch + worker * job->WorkerStride;
        float* ap = col + ScratchMemory.Align(job->Crs * ColFloats + 2 * NR), bp = ap + (long)CpuGemm<TVec>.MC * KC;
        float* slice = ap + CpuGemm<TVec>.SerialWorkspaceFloats;
        var (n0, n1) = SlotImages(ref *job, slot);
        for (int n = n0; n < n1; n++)
            for (int j0 = 0; j0 < job->Pq; j0 += job->ChunkCols)
            {
                int j1 = Math.Min(job->Pq, j0 + job->ChunkCols);
                if (job->SliceFloats > 0)
                {
                    CpuIm2Col<TVec>.PaddedSlice(job->X + n * job->ImageIn, g, slice, j0, j1);
                    CpuIm2Col<TVec>.RowsFromSlice(slice, g, col, j0, j1);
                }
                else CpuIm2Col<TVec>.Rows(job->X + n * job->ImageIn, g, col, 0, job->Crs, j0, j1);
                var gp = FilterGemm(ref *job, n, j0, j1, col, slot, n == n0 && j0 == 0);
                CpuGemm<TVec>.RunSerial(ref gp, ap, bp);
            }
    }

    private static void LowerRowsTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        int r0 = task * RowsPerTask, r1 = Math.Min(job->Crs, r0 + RowsPerTask);
        CpuIm2Col<TVec>.Rows(job->X + job->Image * job->ImageIn, job->G, job->Col, r0, r1, job->J0, job->J1);
    }

    private static void AddPartialsTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        long length = (long)job->G.K * job->Crs;
        long start = (long)task * ParallelRange.Chunk, end = Math.Min(length, start + ParallelRange.Chunk);
        long i = start;
        for (; i <= end - TVec.Count; i += TVec.Count)
        {
            var sum = TVec.Load(job->Partials + i);
            for (int s = 1; s < job->Slots; s++) sum += TVec.Load(job->Partials + s * length + i);
            TVec.Store(TVec.Load(job->Dw + i) + sum, job->Dw + i);
        }
        for (; i < end; i++)
        {
            float sum = job->Partials[i];
            for (int s = 1; s < job->Slots; s++) sum += job->Partials[s * length + i];
            job->Dw[i] += sum;
        }
    }

    /// <summary>
    /// db[k] += Σ_n Σ_pq dy[n][k] in tasks of 16 filters, or of fewer where that would leave a thread idle (LeNet's 16
    /// filters were one task, summed by one thread while the other waited). Each db[k] is one task's, summed in the
    /// same order whatever the grouping.
    /// </summary>
    private void BiasGradient(in Conv2dGeometry g, float* dy, float* db)
    {
        var job = new Job { G = g, Dy = dy, Db = db, Slots = Math.Min(g.K, Math.Max((g.K + 15) / 16, pool.Threads)) };
        For(job.Slots, &BiasGradientTask, &job, pool.Threads > 1);
    }

    /// <summary>One task of <see cref="BiasGradient"/>: filters [task·K/tasks, (task + 1)·K/tasks), tasks in <c>Slots</c>.</summary>
    private static void BiasGradientTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        int pq = job->Pq;
        int k0 = (int)((long)task * g.K / job->Slots), k1 = (int)((long)(task + 1) * g.K / job->Slots);
        for (int k = k0; k < k1; k++)
        {
            double sum = 0;
            for (int n = 0; n < g.N; n++) sum += CpuElementwise.Sum(job->Dy + ((long)n * g.K + k) * pq, pq);
            job->Db[k] += (float)sum;
        }
    }
}
