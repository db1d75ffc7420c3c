namespace CnnNative.Devices.Cpu;

/// <summary>
/// Convolution as GEMM on lowered images (im2col), with the device's workspaces:
/// <list type="bullet">
/// <item>forward: y[n] (K × PQ) = W (K × CRS) · col[n] (CRS × PQ) + bias; W is packed once per call, col[n] is
/// written directly in packed-panel form, and the bias is added in the micro-kernel's store.</item>
/// <item>backward data: dcol = Wᵀ · dy[n], then col2im into dx[n] (overwritten).</item>
/// <item>backward filter: dw += Σ_n dy[n] · col[n]ᵀ, db += Σ dy.</item>
/// </list>
/// With at least as many images as threads, each task takes whole images on one worker's scratch memory (no
/// synchronisation inside an image). Otherwise images go one at a time and the lowering and the GEMM tiles
/// inside each image are split over the pool. Both schedules add every output in the same order.
/// </summary>
internal sealed unsafe class CpuConvolution(WorkerPool pool, Workspace shared, Workspace perWorker)
{
    private const int MR = Gemm.MR, NR = Gemm.NR, KC = Gemm.KC;
    /// <summary>Column-matrix rows one lowering task writes when a single image is split over the pool.</summary>
    private const int RowsPerTask = 16;
    /// <summary>Backward-filter partial sums kept apart (then added in order) whatever the thread count, up to this many.</summary>
    private const int FilterSlots = 4;

    private struct Job
    {
        public Conv2dGeometry G;
        public float* X, W, Bias, Y, Dy, Dx, Dw, Db;
        public float* PackedW;      // forward: W as packed A; backward data: Wᵀ as packed A
        public float* Col;          // the column matrix of the current image (one-image schedule)
        public float* Scratch;      // per-worker regions, WorkerStride floats apart
        public long WorkerStride;
        public float* Partials;     // backward filter: Slots × K·CRS
        public int Slots;
        public int Image;           // one-image schedule: the image being lowered
        public readonly int Crs => G.C * G.R * G.S;
        public readonly int Pq => G.P * G.Q;
        public readonly int NPad => Gemm.RoundUp(Pq, NR);
    }

    private bool SplitImages(in Conv2dGeometry g) => pool.Threads > 1 && g.N >= pool.Threads;

    private bool SplitInsideImage(long multiplyAdds) => pool.Threads > 1 && multiplyAdds >= Gemm.ParallelThreshold;

    // ------------------------------------------------------------------ forward

    public void Forward(in Conv2dGeometry g, float* x, float* w, float* bias, float* y)
    {
        var job = new Job { G = g, X = x, W = w, Bias = bias, Y = y };
        int crs = job.Crs, nPad = job.NPad, mPad = Gemm.RoundUp(g.K, MR);
        job.PackedW = shared.Ensure((long)mPad * crs);
        for (int pc = 0; pc < crs; pc += KC)
            GemmPacking.PackA(job.PackedW + (long)pc * mPad, w, crs, false, 0, g.K, pc, Math.Min(KC, crs - pc));

        long colFloats = Workspace.Align((long)crs * nPad), tmpFloats = Workspace.Align(nPad);
        if (SplitImages(g))
        {
            job.WorkerStride = colFloats + tmpFloats;
            job.Scratch = perWorker.Ensure(job.WorkerStride * pool.Threads);
            pool.For(g.N, &ForwardImageTask, &job);
            return;
        }
        // One image at a time: one packed column matrix, a row buffer per worker.
        job.Col = perWorker.Ensure(colFloats + tmpFloats * pool.Threads);
        job.Scratch = job.Col + colFloats;
        job.WorkerStride = tmpFloats;
        bool split = SplitInsideImage((long)g.K * job.Pq * crs);
        for (int n = 0; n < g.N; n++)
        {
            job.Image = n;
            if (split) pool.For((crs + RowsPerTask - 1) / RowsPerTask, &PackRowsTask, &job);
            else Im2Col.PackedRows(x + (long)n * g.C * g.H * g.W, g, job.Col, 0, crs, job.Scratch);
            var gp = ForwardGemm(ref job, n, job.Col);
            if (split) Gemm.RunParallel(pool, ref gp, null, null);
            else Gemm.RunSerial(ref gp, null, null);
        }
    }

    private static GemmProblem ForwardGemm(ref Job job, int n, float* packedCol) => new()
    {
        M = job.G.K, N = job.Pq, K = job.Crs, Alpha = 1f, Beta = 0f,
        C = job.Y + (long)n * job.G.K * job.Pq, Ldc = job.Pq,
        RowBias = job.Bias, PackedA = job.PackedW, PackedB = packedCol,
    };

    private static void ForwardImageTask(void* context, int n, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        float* col = job->Scratch + worker * job->WorkerStride;
        float* tmp = col + Workspace.Align((long)job->Crs * job->NPad);
        Im2Col.PackedRows(job->X + (long)n * g.C * g.H * g.W, g, col, 0, job->Crs, tmp);
        var gp = ForwardGemm(ref *job, n, col);
        Gemm.RunSerial(ref gp, null, null);
    }

    private static void PackRowsTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        int r0 = task * RowsPerTask, r1 = Math.Min(job->Crs, r0 + RowsPerTask);
        Im2Col.PackedRows(job->X + (long)job->Image * g.C * g.H * g.W, g, job->Col, r0, r1, job->Scratch + worker * job->WorkerStride);
    }

    // ------------------------------------------------------------------ backward data

    public void BackwardData(in Conv2dGeometry g, float* dy, float* w, float* dx)
    {
        var job = new Job { G = g, Dy = dy, W = w, Dx = dx };
        int crs = job.Crs, pq = job.Pq, crsPad = Gemm.RoundUp(crs, MR);
        bool splitImages = SplitImages(g);
        bool split = !splitImages && SplitInsideImage((long)crs * pq * g.K);
        long packedFloats = Workspace.Align((long)crsPad * g.K);
        long bpAllFloats = split ? (long)KC * Gemm.RoundUp(Math.Min(pq, Gemm.NC), NR) : 0;
        float* sh = shared.Ensure(packedFloats + bpAllFloats);
        job.PackedW = sh;
        for (int pc = 0; pc < g.K; pc += KC)
            GemmPacking.PackA(job.PackedW + (long)pc * crsPad, w, crs, true, 0, crs, pc, Math.Min(KC, g.K - pc));

        long dcolFloats = Workspace.Align((long)crs * pq);
        if (splitImages)
        {
            job.WorkerStride = dcolFloats + (long)KC * Gemm.NC;
            job.Scratch = perWorker.Ensure(job.WorkerStride * pool.Threads);
            pool.For(g.N, &BackwardDataImageTask, &job);
            return;
        }
        job.Col = perWorker.Ensure(dcolFloats + (split ? 0 : (long)KC * Gemm.NC));
        for (int n = 0; n < g.N; n++)
        {
            job.Image = n;
            var gp = BackwardDataGemm(ref job, n, job.Col);
            if (split)
            {
                Gemm.RunParallel(pool, ref gp, null, sh + packedFloats);
                pool.For(g.C, &Col2ImChannelTask, &job);
            }
            else
            {
                Gemm.RunSerial(ref gp, null, job.Col + dcolFloats);
                for (int c = 0; c < g.C; c++) Im2Col.AddBackChannel(job.Col, g, dx + (long)n * g.C * g.H * g.W, c);
            }
        }
    }

    private static GemmProblem BackwardDataGemm(ref Job job, int n, float* dcol) => new()
    {
        M = job.Crs, N = job.Pq, K = job.G.K, Alpha = 1f, Beta = 0f,
        PackedA = job.PackedW,
        B = job.Dy + (long)n * job.G.K * job.Pq, Ldb = job.Pq, TransB = false,
        C = dcol, Ldc = job.Pq,
    };

    private static void BackwardDataImageTask(void* context, int n, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        float* dcol = job->Scratch + worker * job->WorkerStride;
        var gp = BackwardDataGemm(ref *job, n, dcol);
        Gemm.RunSerial(ref gp, null, dcol + Workspace.Align((long)job->Crs * job->Pq));
        for (int c = 0; c < g.C; c++) Im2Col.AddBackChannel(dcol, g, job->Dx + (long)n * g.C * g.H * g.W, c);
    }

    private static void Col2ImChannelTask(void* context, int c, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        Im2Col.AddBackChannel(job->Col, g, job->Dx + (long)job->Image * g.C * g.H * g.W, c);
    }

    // ------------------------------------------------------------------ backward filter

    public void BackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db)
    {
        var job = new Job { G = g, X = x, Dy = dy, Dw = dw, Db = db };
        int crs = job.Crs, pq = job.Pq;
        long filterFloats = (long)g.K * crs;
        // Slots depend on the batch only (for up to FilterSlots threads), so 1 and 2 threads give identical bits.
        job.Slots = Math.Min(g.N, Math.Max(FilterSlots, pool.Threads));
        bool splitSlots = pool.Threads > 1 && job.Slots >= pool.Threads;
        bool split = !splitSlots && SplitInsideImage((long)g.K * crs * pq);
        long partialFloats = Workspace.Align(job.Slots * filterFloats);
        long apAll = split ? Workspace.Align((long)Gemm.RoundUp(Math.Min(g.K, Gemm.MB), MR) * KC) : 0;
        long bpAll = split ? (long)KC * Gemm.RoundUp(Math.Min(crs, Gemm.NC), NR) : 0;
        float* sh = shared.Ensure(partialFloats + apAll + bpAll);
        job.Partials = sh;

        long colFloats = Workspace.Align((long)crs * pq);
        if (splitSlots)
        {
            job.WorkerStride = colFloats + Gemm.SerialWorkspaceFloats;
            job.Scratch = perWorker.Ensure(job.WorkerStride * pool.Threads);
            pool.For(job.Slots, &FilterSlotTask, &job);
        }
        else
        {
            job.Col = perWorker.Ensure(colFloats + (split ? 0 : Gemm.SerialWorkspaceFloats));
            for (int slot = 0; slot < job.Slots; slot++)
            {
                var (n0, n1) = SlotImages(ref job, slot);
                for (int n = n0; n < n1; n++)
                {
                    job.Image = n;
                    var gp = FilterGemm(ref job, n, job.Col, slot, n == n0);
                    if (split)
                    {
                        pool.For((crs + RowsPerTask - 1) / RowsPerTask, &LowerRowsTask, &job);
                        Gemm.RunParallel(pool, ref gp, sh + partialFloats, sh + partialFloats + apAll);
                    }
                    else
                    {
                        Im2Col.Rows(x + (long)n * g.C * g.H * g.W, g, job.Col, 0, crs);
                        Gemm.RunSerial(ref gp, job.Col + colFloats, job.Col + colFloats + (long)Gemm.MC * KC);
                    }
                }
            }
        }
        // dw += Σ_slot partial[slot], slots in order; db[k] += Σ_n Σ_pq dy[n, k].
        pool.For((int)((filterFloats + RangeJob.Chunk - 1) / RangeJob.Chunk), &AddPartialsTask, &job);
        if (db != null) pool.For((g.K + 15) / 16, &BiasGradientTask, &job);
    }

    private static (int First, int End) SlotImages(ref Job job, int slot)
        => ((int)((long)slot * job.G.N / job.Slots), (int)((long)(slot + 1) * job.G.N / job.Slots));

    private static GemmProblem FilterGemm(ref Job job, int n, float* col, int slot, bool first) => new()
    {
        M = job.G.K, N = job.Crs, K = job.Pq, Alpha = 1f, Beta = first ? 0f : 1f,
        A = job.Dy + (long)n * job.G.K * job.Pq, Lda = job.Pq, TransA = false,
        B = col, Ldb = job.Pq, TransB = true,
        C = job.Partials + (long)slot * job.G.K * job.Crs, Ldc = job.Crs,
    };

    private static void FilterSlotTask(void* context, int slot, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        float* col = job->Scratch + worker * job->WorkerStride;
        float* ap = col + Workspace.Align((long)job->Crs * job->Pq), bp = ap + (long)Gemm.MC * KC;
        var (n0, n1) = SlotImages(ref *job, slot);
        for (int n = n0; n < n1; n++)
        {
            Im2Col.Rows(job->X + (long)n * g.C * g.H * g.W, g, col, 0, job->Crs);
            var gp = FilterGemm(ref *job, n, col, slot, n == n0);
            Gemm.RunSerial(ref gp, ap, bp);
        }
    }

    private static void LowerRowsTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        int r0 = task * RowsPerTask, r1 = Math.Min(job->Crs, r0 + RowsPerTask);
        Im2Col.Rows(job->X + (long)job->Image * g.C * g.H * g.W, g, job->Col, r0, r1);
    }

    private static void AddPartialsTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        long length = (long)job->G.K * job->Crs;
        long start = (long)task * RangeJob.Chunk, end = Math.Min(length, start + RangeJob.Chunk);
        for (long i = start; i < end; i++)
        {
            float sum = job->Partials[i];
            for (int s = 1; s < job->Slots; s++) sum += job->Partials[s * length + i];
            job->Dw[i] += sum;
        }
    }

    private static void BiasGradientTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        int pq = job->Pq;
        for (int k = task * 16; k < Math.Min(g.K, task * 16 + 16); k++)
        {
            double sum = 0;
            for (int n = 0; n < g.N; n++) sum += CpuElementwise.Sum(job->Dy + ((long)n * g.K + k) * pq, pq);
            job->Db[k] += (float)sum;
        }
    }
}
