using System.Runtime.Intrinsics;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// Lowering of one image to the column matrix of convolution-as-GEMM: row (c, r, s) of the C·R·S × P·Q matrix
/// holds x[c, p·strideH − padH + r, q·strideW − padW + s] (0 outside the image) for every output (p, q).
/// Rows are built one output row at a time: zeros at the padded edges, one contiguous copy (stride 1) or a
/// strided gather in between. col2im is the adjoint: it adds the rows back into the image.
/// </summary>
internal static unsafe class Im2Col
{
    private const int NR = GemmMicroKernel.NR;

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

    /// <summary>Writes row <paramref name="row"/> = (c, r, s) of the column matrix of image x to dst[0 .. P·Q).</summary>
    public static void Row(float* x, in Conv2dGeometry g, int row, float* dst)
    {
        int rs = g.R * g.S;
        int c = row / rs, r = row % rs / g.S, s = row % g.S;
        float* plane = x + (long)c * g.H * g.W;
        var (lo, hi) = ValidColumns(g, s);
        for (int p = 0; p < g.P; p++, dst += g.Q)
        {
            int ih = p * g.StrideH - g.PadH + r;
            if ((uint)ih >= (uint)g.H)
            {
                new Span<float>(dst, g.Q).Clear();
                continue;
            }
            for (int q = 0; q < lo; q++) dst[q] = 0f;
            float* src = plane + (long)ih * g.W + lo * g.StrideW - g.PadW + s;
            if (g.StrideW == 1)
                Buffer.MemoryCopy(src, dst + lo, (hi - lo) * sizeof(float), (hi - lo) * sizeof(float));
            else
                for (int q = lo; q < hi; q++, src += g.StrideW) dst[q] = *src;
            for (int q = hi; q < g.Q; q++) dst[q] = 0f;
        }
    }

    /// <summary>Rows [r0, r1) of the column matrix, row-major (row i at col + i·P·Q).</summary>
    public static void Rows(float* x, in Conv2dGeometry g, float* col, int r0, int r1)
    {
        int pq = g.P * g.Q;
        for (int i = r0; i < r1; i++) Row(x, g, i, col + (long)i * pq);
    }

    /// <summary>
    /// Rows [r0, r1) of the column matrix written straight into the GEMM's packed-B layout (k blocks of
    /// <see cref="Gemm.KC"/> rows, each as kc×16 panels, zero-padded to nPad = RoundUp(P·Q, 16) columns),
    /// so the forward GEMM needs no separate packing pass. tmp holds nPad floats.
    /// </summary>
    public static void PackedRows(float* x, in Conv2dGeometry g, float* packed, int r0, int r1, float* tmp)
    {
        int pq = g.P * g.Q, nPad = Gemm.RoundUp(pq, NR), crs = g.C * g.R * g.S;
        for (int j = pq; j < nPad; j++) tmp[j] = 0f;
        for (int i = r0; i < r1; i++)
        {
            Row(x, g, i, tmp);
            int pc = i / Gemm.KC * Gemm.KC;
            int kc = Math.Min(Gemm.KC, crs - pc);
            float* dst = packed + (long)pc * nPad + (long)(i - pc) * NR;
            for (int j = 0; j < nPad; j += NR, dst += (long)kc * NR)
            {
                Vector256.Load(tmp + j).Store(dst);
                Vector256.Load(tmp + j + 8).Store(dst + 8);
            }
        }
    }

    /// <summary>
    /// Channel c of dx = col2im(dcol): clears the plane, then adds every row (c, r, s) of the P·Q-wide column
    /// matrix back at the input positions it was taken from, rows in order.
    /// </summary>
    public static void AddBackChannel(float* dcol, in Conv2dGeometry g, float* dx, int c)
    {
        float* plane = dx + (long)c * g.H * g.W;
        new Span<float>(plane, g.H * g.W).Clear();
        int pq = g.P * g.Q;
        for (int r = 0; r < g.R; r++)
            for (int s = 0; s < g.S; s++)
            {
                float* src = dcol + (long)((c * g.R + r) * g.S + s) * pq;
                var (lo, hi) = ValidColumns(g, s);
                for (int p = 0; p < g.P; p++, src += g.Q)
                {
                    int ih = p * g.StrideH - g.PadH + r;
                    if ((uint)ih >= (uint)g.H) continue;
                    float* dst = plane + (long)ih * g.W + lo * g.StrideW - g.PadW + s;
                    if (g.StrideW == 1)
                    {
                        int n = hi - lo, q = 0;
                        float* from = src + lo;
                        for (; q <= n - 8; q += 8) (Vector256.Load(dst + q) + Vector256.Load(from + q)).Store(dst + q);
                        for (; q < n; q++) dst[q] += from[q];
                    }
                    else
                        for (int q = lo; q < hi; q++, dst += g.StrideW) *dst += src[q];
                }
            }
    }
}
