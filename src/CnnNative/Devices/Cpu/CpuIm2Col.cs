using System.Runtime.Intrinsics;
using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// Lowering of one image to the column matrix of convolution-as-GEMM: row (c, r, s) of the C·R·S × P·Q matrix
/// holds x[c, p·strideH − padH + r, q·strideW − padW + s] (0 outside the image) for every output j = p·Q + q.
/// Every function works on a range [j0, j1) of output positions, so the convolution can lower a chunk that
/// stays in L2 instead of a whole image. Output rows are built as zeros at the padded edges and one contiguous
/// copy (stride 1) or a strided gather in between. col2im is the adjoint: it adds the chunk back into the image.
/// </summary>
internal static unsafe class CpuIm2Col<TVec> where TVec : unmanaged, IVec<TVec>
{
    /// <summary>Columns of the GEMM's B panels for the width (16 or 32).</summary>
    private static int NR => CpuGemmMicroKernel<TVec>.NR;

    /// <summary>Outputs q whose input column q·stride − pad + s lies inside [0, W): [lo, hi).</summary>
    private static (int Lo, int Hi) ValidColumns(in Conv2dGeometry g, int s)
    {
        int shift = g.PadW - s; // iw = q·stride − shift
        int lo = shift <= 0 ? 0 : (shift + g.StrideW - 1) / g.StrideW;
        int last = g.W - 1 + shift; // q·stride ≤ last
        int hi = last < 0 ? 0 : last / g.StrideW + 1;
        lo = Math.Min(lo, g.Q);
        hi = Math.Clamp(hi, lo, g.Q);
        return (lo, hi);
    }

    /// <summary>Copies a short run (an output row, tens of floats) inline: a library copy's per-call cost dominates here.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(float* src, float* dst, int n)
    {
        if (n < 8)
        {
            for (int k = 0; k < n; k++) dst[k] = src[k];
            return;
        }
        int i = 0;
        for (; i < n - 8; i += 8) Vector256.Load(src + i).Store(dst + i);
        Vector256.Load(src + n - 8).Store(dst + n - 8); // the tail as one overlapping vector
    }

    /// <summary>Writes outputs [j0, j1) of row (c, r, s) of image x's column matrix to dst[0 .. j1−j0).</summary>
    public static void Row(float* x, in Conv2dGeometry g, int c, int r, int s, float* dst, int j0, int j1)
    {
        float* plane = x + (long)c * g.H * g.W;
        var (lo, hi) = ValidColumns(g, s);
        for (int p = j0 / g.Q; p * g.Q < j1; p++)
        {
            int qa = Math.Max(0, j0 - p * g.Q), qb = Math.Min(g.Q, j1 - p * g.Q);
            float* d = dst + (p * g.Q - j0);
            int ih = p * g.StrideH - g.PadH + r;
            if ((uint)ih >= (uint)g.H)
            {
                for (int q = qa; q < qb; q++) d[q] = 0f;
                continue;
            }
            int vlo = Math.Clamp(lo, qa, qb), vhi = Math.Clamp(hi, vlo, qb);
            for (int q = qa; q < vlo; q++) d[q] = 0f;
            float* src = plane + (long)ih * g.W + vlo * g.StrideW - g.PadW + s;
            if (g.StrideW == 1)
                CopyShort(src, d + vlo, vhi - vlo);
            else
                for (int q = vlo; q < vhi; q++, src += g.StrideW) d[q] = *src;
            for (int q = vhi; q < qb; q++) d[q] = 0f;
        }
    }

    /// <summary>Row index → (c, r, s).</summary>
    private static (int C, int R, int S) Split(in Conv2dGeometry g, int row)
        => (row / (g.R * g.S), row / g.S % g.R, row % g.S);

    /// <summary>Steps (c, r, s) to the next row without dividing.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Next(in Conv2dGeometry g, ref int c, ref int r, ref int s)
    {
        if (++s < g.S) return;
        s = 0;
        if (++r < g.R) return;
        r = 0;
        c++;
    }

    /// <summary>Rows [r0, r1) for outputs [j0, j1), row-major with row i at col + i·(j1 − j0).</summary>
    public static void Rows(float* x, in Conv2dGeometry g, float* col, int r0, int r1, int j0, int j1)
    {
        int nc = j1 - j0;
        var (c, r, s) = Split(g, r0);
        for (int i = r0; i < r1; i++)
        {
            Row(x, g, c, r, s, col + (long)i * nc, j0, j1);
            Next(g, ref c, ref r, ref s);
        }
    }

    /// <summary>
    /// Rows [r0, r1) for outputs [j0, j1), written straight into the GEMM's packed-B layout (k blocks of
    /// <see cref="CpuGemm.KC"/> rows, each as kc×NR panels, zero-padded to RoundUp(j1 − j0, NR) columns), so the
    /// forward GEMM needs no packing pass. tmp holds RoundUp(j1 − j0, NR) floats.
    /// </summary>
    public static void PackedRows(float* x, in Conv2dGeometry g, float* packed, int r0, int r1, int j0, int j1, float* tmp)
    {
        int nc = j1 - j0, ncPad = CpuGemm.RoundUp(nc, NR), crs = g.C * g.R * g.S;
        for (int j = nc; j < ncPad; j++) tmp[j] = 0f;
        var (c, r, s) = Split(g, r0);
        for (int i = r0; i < r1; i++)
        {
            Row(x, g, c, r, s, tmp, j0, j1);
            Next(g, ref c, ref r, ref s);
            int pc = i / CpuGemm.KC * CpuGemm.KC;
            int kc = Math.Min(CpuGemm.KC, crs - pc);
            float* dst = packed + (long)pc * ncPad + (long)(i - pc) * NR;
            for (int j = 0; j < ncPad; j += NR, dst += (long)kc * NR)
            {
                TVec.Store(TVec.Load(tmp + j), dst);
                TVec.Store(TVec.Load(tmp + j + TVec.Count), dst + TVec.Count);
            }
        }
    }

    /// <summary>
    /// col2im for channel c and outputs [j0, j1): adds every row (c, r, s) of the chunk (row i at dcol + i·(j1 − j0))
    /// back at the input positions it was taken from, rows in order. dx is not cleared here.
    /// </summary>
    public static void AddBackChannel(float* dcol, in Conv2dGeometry g, float* dx, int c, int j0, int j1)
    {
        float* plane = dx + (long)c * g.H * g.W;
        int nc = j1 - j0;
        for (int r = 0; r < g.R; r++)
            for (int s = 0; s < g.S; s++)
            {
                float* src = dcol + (long)((c * g.R + r) * g.S + s) * nc - j0; // src[j] is output j
                var (lo, hi) = ValidColumns(g, s);
                for (int p = j0 / g.Q; p * g.Q < j1; p++)
                {
                    int ih = p * g.StrideH - g.PadH + r;
                    if ((uint)ih >= (uint)g.H) continue;
                    int qa = Math.Max(lo, j0 - p * g.Q), qb = Math.Min(hi, j1 - p * g.Q);
                    if (qa >= qb) continue;
                    float* dst = plane + (long)ih * g.W + qa * g.StrideW - g.PadW + s;
                    float* from = src + p * g.Q + qa;
                    int n = qb - qa;
                    if (g.StrideW == 1)
                    {
                        int q = 0;
                        for (; q <= n - 8; q += 8) (Vector256.Load(dst + q) + Vector256.Load(from + q)).Store(dst + q);
                        for (; q < n; q++) dst[q] += from[q];
                    }
                    else
                        for (int q = 0; q < n; q++, dst += g.StrideW) *dst += from[q];
                }
            }
    }

    // ------------------------------------------------------------------ stride 1: lowering from a padded slice

    /// <summary>Padded input rows a chunk [j0, j1) of a stride-1 convolution reads, per channel.</summary>
    public static int SliceRows(in Conv2dGeometry g, int j0, int j1) => (j1 - 1) / g.Q - j0 / g.Q + g.R;

    /// <summary>Floats of a padded slice for chunks up to <paramref name="maxCols"/> wide (slack for vector over-reads included).</summary>
    public static long SliceFloats(in Conv2dGeometry g, int maxCols)
        => (long)g.C * ((maxCols + g.Q - 2) / g.Q + 1 + g.R) * (g.W + 2 * g.PadW) + 2 * NR;

    /// <summary>
    /// Stride 1 only: copies the input rows that outputs [j0, j1) read into slice[c][row][0 .. W + 2·padW), zeros
    /// written where the padding is, so lowering needs no edge tests.
    /// </summary>
    public static void PaddedSlice(float* x, in Conv2dGeometry g, float* slice, int j0, int j1)
    {
        int wp = g.W + 2 * g.PadW, p0 = j0 / g.Q, rows = SliceRows(g, j0, j1);
        float* d = slice;
        for (int c = 0; c < g.C; c++)
        {
            float* plane = x + (long)c * g.H * g.W;
            for (int i = 0; i < rows; i++, d += wp)
            {
                int ih = p0 + i - g.PadH;
                if ((uint)ih >= (uint)g.H) { new Span<float>(d, wp).Clear(); continue; }
                for (int k = 0; k < g.PadW; k++) { d[k] = 0f; d[wp - 1 - k] = 0f; }
                Buffer.MemoryCopy(plane + (long)ih * g.W, d + g.PadW, (long)g.W * sizeof(float), (long)g.W * sizeof(float));
            }
        }
        for (int k = 0; k < 2 * NR; k++) d[k] = 0f; // what the last row's vector copies read past its end
    }

    /// <summary>
    /// <see cref="PackedRows"/> for stride 1 from a <see cref="PaddedSlice"/>: each output row's run is copied in whole
    /// vectors of 8, the last one running into the next row's place (rewritten next) or the zero padding columns
    /// (cleared again after every row). tmp holds RoundUp(j1 − j0, NR) + NR floats.
    /// </summary>
    public static void PackedRowsFromSlice(float* slice, in Conv2dGeometry g, float* packed, int j0, int j1, float* tmp)
    {
        int nc = j1 - j0, ncPad = CpuGemm.RoundUp(nc, NR), crs = g.C * g.R * g.S;
        int wp = g.W + 2 * g.PadW, p0 = j0 / g.Q, p1 = (j1 - 1) / g.Q, rows = SliceRows(g, j0, j1);
        int c = 0, r = 0, s = 0;
        for (int i = 0; i < crs; i++)
        {
            float* rowBase = slice + ((long)c * rows + r) * wp + s;
            for (int p = p0; p <= p1; p++)
            {
                int qa = p == p0 ? j0 - p * g.Q : 0, qb = p == p1 ? j1 - p * g.Q : g.Q;
                float* src = rowBase + (long)(p - p0) * wp + qa;
                float* dst = tmp + (p * g.Q - j0 + qa);
                for (int q = 0; q < qb - qa; q += 8) Vector256.Load(src + q).Store(dst + q);
            }
            TVec.Store(TVec.Zero, tmp + nc);
            TVec.Store(TVec.Zero, tmp + nc + TVec.Count);
            if (++s == g.S) { s = 0; if (++r == g.R) { r = 0; c++; } }
            int pc = i / CpuGemm.KC * CpuGemm.KC;
            int kc = Math.Min(CpuGemm.KC, crs - pc);
            float* dstPanel = packed + (long)pc * ncPad + (long)(i - pc) * NR;
            for (int j = 0; j < ncPad; j += NR, dstPanel += (long)kc * NR)
            {
                TVec.Store(TVec.Load(tmp + j), dstPanel);
                TVec.Store(TVec.Load(tmp + j + TVec.Count), dstPanel + TVec.Count);
            }
        }
    }

    /// <summary>
    /// <see cref="Rows"/> (all C·R·S rows, row i at col + i·(j1 − j0)) for stride 1 from a <see cref="PaddedSlice"/>:
    /// whole vectors of 8, each run's last one spilling into the next run's or the next row's place (written after)
    /// or, for the last row, up to 7 floats past the matrix (the caller leaves that room).
    /// </summary>
    public static void RowsFromSlice(float* slice, in Conv2dGeometry g, float* col, int j0, int j1)
    {
        int nc = j1 - j0, crs = g.C * g.R * g.S;
        int wp = g.W + 2 * g.PadW, p0 = j0 / g.Q, p1 = (j1 - 1) / g.Q, rows = SliceRows(g, j0, j1);
        int c = 0, r = 0, s = 0;
        for (int i = 0; i < crs; i++)
        {
            float* rowBase = slice + ((long)c * rows + r) * wp + s;
            float* row = col + (long)i * nc;
            for (int p = p0; p <= p1; p++)
            {
                int qa = p == p0 ? j0 - p * g.Q : 0, qb = p == p1 ? j1 - p * g.Q : g.Q;
                float* src = rowBase + (long)(p - p0) * wp + qa;
                float* dst = row + (p * g.Q - j0 + qa);
                for (int q = 0; q < qb - qa; q += 8) Vector256.Load(src + q).Store(dst + q);
            }
            if (++s == g.S) { s = 0; if (++r == g.R) { r = 0; c++; } }
        }
    }
}
