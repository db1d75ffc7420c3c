namespace CnnNative.Devices.OpenCL;

// GEMM: the public op and the batched, strided form the convolutions are built on.
public sealed partial class OpenClDevice
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
    {
        Checks.NonNegative(m, nameof(Gemm)); Checks.NonNegative(n, nameof(Gemm)); Checks.NonNegative(k, nameof(Gemm));
        nint am = Use(a, (long)m * k, nameof(Gemm)), bm = Use(b, (long)k * n, nameof(Gemm)), cm = Use(c, (long)m * n, nameof(Gemm));
        if (m == 0 || n == 0) return;
        lock (_gate)
        {
            int ldb = n, readable = n;
            if (transB && k > 0)
            {
                // The kernels stream rows of B as vectors, so Bᵀ is first laid out as a k × ldb row-major copy
                // (ldb padded to the vector width with zeros: the vector path then covers every column).
                ldb = readable = RoundUp(n, Tuning.GemmTn);
                nint bt = Workspace(WsAux, (long)k * ldb);
                Transpose(n, k, bm, 0, k, bt, 0, ldb);
                bm = bt;
            }
            GemmBatched(m, n, k, alpha, am, 0, transA ? m : k, 0, transA, bm, 0, ldb, 0, readable,
                        beta, cm, 0, n, 0, 0, batch: 1);
        }
    }

    /// <summary>out (cols × ldOut) = inᵀ for in (rows × cols, leading dimension ldIn); columns rows..ldOut are zero.</summary>
    private void Transpose(int rows, int cols, nint input, int offIn, int ldIn, nint output, int offOut, int ldOut)
    {
        var k = new Launch(this, "transpose");
        k.Int(rows); k.Int(cols); k.Mem(input); k.Int(offIn); k.Int(ldIn); k.Mem(output); k.Int(offOut); k.Int(ldOut);
        k.RunRows(ldOut, cols, 1);
    }

    /// <summary>
    /// <paramref name="batch"/> products C[i] = alpha·op(A[i])·B[i] + beta·C[i] (+ bias per row when
    /// <paramref name="bias"/> ≠ 0), matrices at element offsets off + i·stride. B[p·ldb + j] must be readable
    /// for j &lt; <paramref name="bReadable"/> (≥ n). The caller holds the gate.
    /// </summary>
    private void GemmBatched(int m, int n, int k, float alpha,
                             nint a, int offA, int lda, int strideA, bool transA,
                             nint b, int offB, int ldb, int strideB, int bReadable,
                             float beta, nint c, int offC, int ldc, int strideC, nint bias, int batch)
    {
        if (m == 0 || n == 0 || batch == 0) return;
        string name = Tuning.UseLocalMemoryGemm ? "gemm_nn_local" : "gemm_nn_cpu";
        var g = new Launch(this, name);
        g.Int(m); g.Int(n); g.Int(k); g.Float(alpha);
        g.Mem(a); g.Int(offA); g.Int(lda); g.Int(strideA); g.Int(transA ? 1 : 0);
        g.Mem(b); g.Int(offB); g.Int(ldb); g.Int(strideB); g.Int(bReadable);
        g.Float(beta); g.Mem(c); g.Int(offC); g.Int(ldc); g.Int(strideC);
        g.Mem(bias != 0 ? bias : _dummy.Handle); g.Int(bias != 0 ? 1 : 0);
        if (Tuning.UseLocalMemoryGemm)
        {
            int threads = Tuning.LocalTile / Tuning.LocalWorkPerItem;
            long groupsN = (n + Tuning.LocalTile - 1) / Tuning.LocalTile, groupsM = (m + Tuning.LocalTile - 1) / Tuning.LocalTile;
            g.Run(groupsN * threads, groupsM * threads, batch, threads, threads, 1);
        }
        else
        {
            // A work-group walks down the row tiles of one column panel: that panel of B is then read from
            // memory once and reused from cache by every row tile. The shape is fixed (pocl compiles once per
            // work-group shape); row tiles past M return at once.
            int tilesN = (n + Tuning.GemmTn - 1) / Tuning.GemmTn, tilesM = (m + Tuning.GemmTm - 1) / Tuning.GemmTm;
            int group = Math.Max(1, Math.Min(8, g.MaxGroup));
            g.Run(tilesN, tilesM, batch, 1, group, 1);
        }
    }
}
