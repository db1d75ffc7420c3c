namespace CnnNative.Devices.OpenCL;

// Gemm family (Kernels/gemm.cl): the public GEMM, the batched, strided form the convolutions are built on, the
// transpose it needs, and the dense layer's bias rows and row sums.
internal sealed partial class OpenClDevice
{
    /// <summary>Both GEMM kernels' arguments (gemm_nn_cpu and gemm_nn_local share one signature).</summary>
    private struct GemmArgs
    {
        public int M, N, K; public float Alpha;
        public ClMem A; public int OffA, Lda, StrideA, TransA;
        public ClMem B; public int OffB, Ldb, StrideB, NReadable;
        public float Beta; public ClMem C; public int OffC, Ldc, StrideC;
        public ClMem Bias; public int HasBias;
    }

    private struct GemmCpuArgs : IKernelArgs { public static string Kernel => "gemm_nn_cpu"; public GemmArgs Args; }
    private struct GemmLocalArgs : IKernelArgs { public static string Kernel => "gemm_nn_local"; public GemmArgs Args; }

    private struct TransposeArgs : IKernelArgs
    {
        public static string Kernel => "transpose";
        public int Rows, Cols; public ClMem In; public int OffIn, LdIn; public ClMem Out; public int OffOut, LdOut;
    }

    private struct AddBiasRowsArgs : IKernelArgs { public static string Kernel => "add_bias_rows"; public int Rows, Cols; public ClMem Bias, Y; }
    private struct SumRowsArgs : IKernelArgs { public static string Kernel => "sum_rows"; public int Rows, Cols; public ClMem X, Sums; }

    protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
    {
        var bm = Mem(b);
        int ldb = n, readable = n;
        if (transB && k > 0)
        {
            // The kernels stream rows of B as vectors, so Bᵀ is first laid out as a k × ldb row-major copy
            // (ldb padded to the vector width with zeros: the vector path then covers every column).
            ldb = readable = RoundUp(n, Tuning.GemmTn);
            var bt = Workspace(WsAux, (long)k * ldb);
            Transpose(n, k, bm, 0, k, bt, 0, ldb);
            bm = bt;
        }
        GemmBatched(new GemmArgs
        {
            M = m, N = n, K = k, Alpha = alpha,
            A = Mem(a), OffA = 0, Lda = transA ? m : k, TransA = transA ? 1 : 0,
            B = bm, Ldb = ldb, NReadable = readable,
            Beta = beta, C = Mem(c), Ldc = n,
        }, batch: 1);
    }

    protected override void AddBiasRowsCore(int rows, int cols, DeviceBuffer bias, DeviceBuffer y)
        => EnqueueRows(new AddBiasRowsArgs { Rows = rows, Cols = cols, Bias = Mem(bias), Y = Mem(y) }, cols, rows, 1);

    protected override void SumRowsCore(int rows, int cols, DeviceBuffer x, DeviceBuffer sums)
        => EnqueueItems(new SumRowsArgs { Rows = rows, Cols = cols, X = Mem(x), Sums = Mem(sums) }, cols);

    /// <summary>out (cols × ldOut) = inᵀ for in (rows × cols, leading dimension ldIn); columns rows..ldOut are zero.</summary>
    private void Transpose(int rows, int cols, ClMem input, int offIn, int ldIn, ClMem output, int offOut, int ldOut)
        => EnqueueRows(new TransposeArgs { Rows = rows, Cols = cols, In = input, OffIn = offIn, LdIn = ldIn, Out = output, OffOut = offOut, LdOut = ldOut },
                       ldOut, cols, 1);

    /// <summary>
    /// <paramref name="batch"/> products C[i] = alpha·op(A[i])·B[i] + beta·C[i] (+ bias per row when HasBias),
    /// matrices at element offsets Off + i·Stride. B[p·ldb + j] must be readable for j &lt; NReadable (≥ n).
    /// </summary>
    private void GemmBatched(GemmArgs g, int batch)
    {
        if (g.M == 0 || g.N == 0 || batch == 0) return;
        if (g.HasBias == 0) g.Bias = _dummy.Mem;
        if (Tuning.UseLocalMemoryGemm)
        {
            int threads = Tuning.LocalTile / Tuning.LocalWorkPerItem;
            long groupsN = (g.N + Tuning.LocalTile - 1) / Tuning.LocalTile, groupsM = (g.M + Tuning.LocalTile - 1) / Tuning.LocalTile;
            Enqueue(new GemmLocalArgs { Args = g }, groupsN * threads, groupsM * threads, batch, threads, threads, 1);
        }
        else
        {
            // A work-group walks down the row tiles of one column panel: that panel of B is then read from memory
            // once and reused from cache by every row tile. The shape is fixed (pocl compiles once per work-group
            // shape); row tiles past M return at once.
            int tilesN = (g.N + Tuning.GemmTn - 1) / Tuning.GemmTn, tilesM = (g.M + Tuning.GemmTm - 1) / Tuning.GemmTm;
            Enqueue(new GemmCpuArgs { Args = g }, tilesN, tilesM, batch, 1, Math.Max(1, Math.Min(8, MaxGroup<GemmCpuArgs>())), 1);
        }
    }
}
