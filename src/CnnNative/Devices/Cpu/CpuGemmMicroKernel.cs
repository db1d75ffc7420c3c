using System.Runtime.CompilerServices;
using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The GEMM micro-kernel, written once over the vector width: an MR × NR register tile of MR rows × 2 vectors
/// (<typeparamref name="TVec"/>.TileRows rows; NR = 2 vectors of columns): 6 × 16 with Vector256 (12 ymm
/// accumulators, enough independent FMA chains to hide the 4-cycle latency on two pipes), 14 × 32 with Vector512
/// (28 zmm accumulators of the 32). Per step of k it loads the NR floats of B, broadcasts MR floats of A and issues
/// 2·MR FMAs. Rows past <c>TileRows</c> are written out below but guarded by conditions the JIT folds away, so each
/// width compiles to its own straight-line loop.
/// </summary>
/// <remarks>
/// Operands are packed panels (see <see cref="CpuGemmPacking{TVec}"/>): A as kc×MR, B as kc×NR, zero-padded at
/// the edges, so the inner loop never branches on edges. Only the store is edge-aware, and a partial tile goes
/// through a small stack tile, which is off the hot path. Every element of C is a chain of FMAs over k in order,
/// one lane each, so the width does not change the bits of a GEMM.
/// </remarks>
internal static unsafe class CpuGemmMicroKernel<TVec> where TVec : unmanaged, IVec<TVec>
{
    /// <summary>Rows of the register tile.</summary>
    public static int MR => TVec.TileRows;
    /// <summary>Columns of the register tile: two vectors.</summary>
    public static int NR => 2 * TVec.Count;
    private static int L => TVec.Count;
    /// <summary>Most rows of any width's tile (the stack tile's size).</summary>
    public const int MaxMR = 14;

    /// <summary>
    /// C[0..mr, 0..nr) = alpha · (Ap · Bp) + beta · C (+ rowBias[i] when not null); beta = 0 never reads C.
    /// </summary>
    [SkipLocalsInit]
    public static void Run(int kc, float* ap, float* bp, float* c, int ldc, float alpha, float beta, float* rowBias, int mr, int nr)
    {
        if (nr == NR && alpha == 1f && (beta == 0f || beta == 1f))
        {
            AccumulateUpdate(kc, ap, bp, c, ldc, beta == 1f ? 1 : 0, rowBias, mr);
            return;
        }
        float* tile = stackalloc float[MaxMR * 2 * 16];
        if (nr <= L)
        {
            AccumulateNarrow(kc, ap, bp, tile);
            StoreNarrow(tile, c, ldc, alpha, beta, rowBias, mr, nr);
            return;
        }
        // The whole tile (MR×NR, row-major) into the stack tile: the full-width kernel with C = the tile, kept apart
        // from the store so alpha and beta never compete with the accumulators for registers.
        AccumulateUpdate(kc, ap, bp, tile, NR, 0, null, MR);
        if (mr == MR && nr == NR)
        {
            for (int i = 0; i < MR; i++)
                StoreRow(c + (long)i * ldc, TVec.Load(tile + i * NR), TVec.Load(tile + i * NR + L), alpha, beta, rowBias, i);
            return;
        }
        for (int i = 0; i < mr; i++)
        {
            float bias = rowBias == null ? 0f : rowBias[i];
            float* row = c + (long)i * ldc;
            for (int j = 0; j < nr; j++)
            {
                float v = alpha * tile[i * NR + j];
                if (beta != 0) v += beta * row[j];
                row[j] = v + bias;
            }
        }
    }

    /// <summary>
    /// tile (MR×L used of MR×NR) = Ap · Bp[:, 0..L): the left vector of a panel only. Same sums, in the same order,
    /// as the first L columns of <see cref="AccumulateUpdate"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AccumulateNarrow(int kc, float* ap, float* bp, float* tile)
    {
        TVec c00 = TVec.Zero;
        TVec c10 = TVec.Zero;
        TVec c20 = TVec.Zero;
        TVec c30 = TVec.Zero;
        TVec c40 = TVec.Zero;
        TVec c50 = TVec.Zero;
        TVec c60 = TVec.Zero;
        TVec c70 = TVec.Zero;
        TVec c80 = TVec.Zero;
        TVec c90 = TVec.Zero;
        TVec c100 = TVec.Zero;
        TVec c110 = TVec.Zero;
        TVec c120 = TVec.Zero;
        TVec c130 = TVec.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = TVec.Load(bp);
            c00 = TVec.MulAdd(TVec.Broadcast(ap[0]), b0, c00);
            c10 = TVec.MulAdd(TVec.Broadcast(ap[1]), b0, c10);
            c20 = TVec.MulAdd(TVec.Broadcast(ap[2]), b0, c20);
            c30 = TVec.MulAdd(TVec.Broadcast(ap[3]), b0, c30);
            c40 = TVec.MulAdd(TVec.Broadcast(ap[4]), b0, c40);
            c50 = TVec.MulAdd(TVec.Broadcast(ap[5]), b0, c50);
            if (MR > 6) { c60 = TVec.MulAdd(TVec.Broadcast(ap[6]), b0, c60); }
            if (MR > 7) { c70 = TVec.MulAdd(TVec.Broadcast(ap[7]), b0, c70); }
            if (MR > 8) { c80 = TVec.MulAdd(TVec.Broadcast(ap[8]), b0, c80); }
            if (MR > 9) { c90 = TVec.MulAdd(TVec.Broadcast(ap[9]), b0, c90); }
            if (MR > 10) { c100 = TVec.MulAdd(TVec.Broadcast(ap[10]), b0, c100); }
            if (MR > 11) { c110 = TVec.MulAdd(TVec.Broadcast(ap[11]), b0, c110); }
            if (MR > 12) { c120 = TVec.MulAdd(TVec.Broadcast(ap[12]), b0, c120); }
            if (MR > 13) { c130 = TVec.MulAdd(TVec.Broadcast(ap[13]), b0, c130); }
            ap += MR;
            bp += NR;
        }
        TVec.Store(c00, tile + 0 * NR);
        TVec.Store(c10, tile + 1 * NR);
        TVec.Store(c20, tile + 2 * NR);
        TVec.Store(c30, tile + 3 * NR);
        TVec.Store(c40, tile + 4 * NR);
        TVec.Store(c50, tile + 5 * NR);
        if (MR > 6) { TVec.Store(c60, tile + 6 * NR); }
        if (MR > 7) { TVec.Store(c70, tile + 7 * NR); }
        if (MR > 8) { TVec.Store(c80, tile + 8 * NR); }
        if (MR > 9) { TVec.Store(c90, tile + 9 * NR); }
        if (MR > 10) { TVec.Store(c100, tile + 10 * NR); }
        if (MR > 11) { TVec.Store(c110, tile + 11 * NR); }
        if (MR > 12) { TVec.Store(c120, tile + 12 * NR); }
        if (MR > 13) { TVec.Store(c130, tile + 13 * NR); }
    }

    /// <summary>The update of C from a narrow tile: a whole vector per row when nr = L, fewer columns one by one.</summary>
    private static void StoreNarrow(float* tile, float* c, int ldc, float alpha, float beta, float* rowBias, int mr, int nr)
    {
        for (int i = 0; i < mr; i++)
        {
            float* row = c + (long)i * ldc;
            float bias = rowBias == null ? 0f : rowBias[i];
            if (nr == L) // as StoreRow does it for one half
            {
                var v = TVec.Load(tile + i * NR);
                if (alpha != 1f) v *= TVec.Broadcast(alpha);
                if (beta == 1f) v += TVec.Load(row);
                else if (beta != 0f) v = TVec.MulAdd(TVec.Broadcast(beta), TVec.Load(row), v);
                if (rowBias != null) v += TVec.Broadcast(bias);
                TVec.Store(v, row);
                continue;
            }
            for (int j = 0; j < nr; j++)
            {
                float v = alpha * tile[i * NR + j];
                if (beta != 0) v += beta * row[j];
                row[j] = v + bias;
            }
        }
    }

    /// <summary>
    /// Full-width tile (NR columns, the first <paramref name="mr"/> of MR rows) with alpha = 1: C = Ap · Bp (+ C
    /// when addC = 1) (+ rowBias), the accumulators going straight from registers to C. The padding rows of a
    /// partial tile are computed (they are zeros in Ap) but not stored. Also the general path's accumulation into a
    /// stack tile (C = the tile, ldc = NR, addC = 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AccumulateUpdate(int kc, float* ap, float* bp, float* c, int ldc, int addC, float* rowBias, int mr)
    {
        TVec c00 = TVec.Zero, c01 = TVec.Zero;
        TVec c10 = TVec.Zero, c11 = TVec.Zero;
        TVec c20 = TVec.Zero, c21 = TVec.Zero;
        TVec c30 = TVec.Zero, c31 = TVec.Zero;
        TVec c40 = TVec.Zero, c41 = TVec.Zero;
        TVec c50 = TVec.Zero, c51 = TVec.Zero;
        TVec c60 = TVec.Zero, c61 = TVec.Zero;
        TVec c70 = TVec.Zero, c71 = TVec.Zero;
        TVec c80 = TVec.Zero, c81 = TVec.Zero;
        TVec c90 = TVec.Zero, c91 = TVec.Zero;
        TVec c100 = TVec.Zero, c101 = TVec.Zero;
        TVec c110 = TVec.Zero, c111 = TVec.Zero;
        TVec c120 = TVec.Zero, c121 = TVec.Zero;
        TVec c130 = TVec.Zero, c131 = TVec.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = TVec.Load(bp);
            var b1 = TVec.Load(bp + L);
            TVec a;
            a = TVec.Broadcast(ap[0]); c00 = TVec.MulAdd(a, b0, c00); c01 = TVec.MulAdd(a, b1, c01);
            a = TVec.Broadcast(ap[1]); c10 = TVec.MulAdd(a, b0, c10); c11 = TVec.MulAdd(a, b1, c11);
            a = TVec.Broadcast(ap[2]); c20 = TVec.MulAdd(a, b0, c20); c21 = TVec.MulAdd(a, b1, c21);
            a = TVec.Broadcast(ap[3]); c30 = TVec.MulAdd(a, b0, c30); c31 = TVec.MulAdd(a, b1, c31);
            a = TVec.Broadcast(ap[4]); c40 = TVec.MulAdd(a, b0, c40); c41 = TVec.MulAdd(a, b1, c41);
            a = TVec.Broadcast(ap[5]); c50 = TVec.MulAdd(a, b0, c50); c51 = TVec.MulAdd(a, b1, c51);
            if (MR > 6) { a = TVec.Broadcast(ap[6]); c60 = TVec.MulAdd(a, b0, c60); c61 = TVec.MulAdd(a, b1, c61); }
            if (MR > 7) { a = TVec.Broadcast(ap[7]); c70 = TVec.MulAdd(a, b0, c70); c71 = TVec.MulAdd(a, b1, c71); }
            if (MR > 8) { a = TVec.Broadcast(ap[8]); c80 = TVec.MulAdd(a, b0, c80); c81 = TVec.MulAdd(a, b1, c81); }
            if (MR > 9) { a = TVec.Broadcast(ap[9]); c90 = TVec.MulAdd(a, b0, c90); c91 = TVec.MulAdd(a, b1, c91); }
            if (MR > 10) { a = TVec.Broadcast(ap[10]); c100 = TVec.MulAdd(a, b0, c100); c101 = TVec.MulAdd(a, b1, c101); }
            if (MR > 11) { a = TVec.Broadcast(ap[11]); c110 = TVec.MulAdd(a, b0, c110); c111 = TVec.MulAdd(a, b1, c111); }
            if (MR > 12) { a = TVec.Broadcast(ap[12]); c120 = TVec.MulAdd(a, b0, c120); c121 = TVec.MulAdd(a, b1, c121); }
            if (MR > 13) { a = TVec.Broadcast(ap[13]); c130 = TVec.MulAdd(a, b0, c130); c131 = TVec.MulAdd(a, b1, c131); }
            ap += MR;
            bp += NR;
        }
        Update(c, c00, c01, addC, rowBias, 0);
        if (mr == 1) return;
        c += ldc; Update(c, c10, c11, addC, rowBias, 1);
        if (mr == 2) return;
        c += ldc; Update(c, c20, c21, addC, rowBias, 2);
        if (mr == 3) return;
        c += ldc; Update(c, c30, c31, addC, rowBias, 3);
        if (mr == 4) return;
        c += ldc; Update(c, c40, c41, addC, rowBias, 4);
        if (mr == 5) return;
        c += ldc; Update(c, c50, c51, addC, rowBias, 5);
        if (MR == 6 || mr == 6) return;
        c += ldc; Update(c, c60, c61, addC, rowBias, 6);
        if (MR == 7 || mr == 7) return;
        c += ldc; Update(c, c70, c71, addC, rowBias, 7);
        if (MR == 8 || mr == 8) return;
        c += ldc; Update(c, c80, c81, addC, rowBias, 8);
        if (MR == 9 || mr == 9) return;
        c += ldc; Update(c, c90, c91, addC, rowBias, 9);
        if (MR == 10 || mr == 10) return;
        c += ldc; Update(c, c100, c101, addC, rowBias, 10);
        if (MR == 11 || mr == 11) return;
        c += ldc; Update(c, c110, c111, addC, rowBias, 11);
        if (MR == 12 || mr == 12) return;
        c += ldc; Update(c, c120, c121, addC, rowBias, 12);
        if (MR == 13 || mr == 13) return;
        c += ldc; Update(c, c130, c131, addC, rowBias, 13);
    }

    /// <summary>One tile row from registers to C: (+ C when addC = 1) (+ rowBias[i] when not null). Also the implicit convolution's store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Update(float* c, TVec lo, TVec hi, int addC, float* rowBias, int i)
    {
        if (addC != 0) { lo += TVec.Load(c); hi += TVec.Load(c + L); }
        if (rowBias != null) { var bias = TVec.Broadcast(rowBias[i]); lo += bias; hi += bias; }
        TVec.Store(lo, c);
        TVec.Store(hi, c + L);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, TVec lo, TVec hi, float alpha, float beta, float* rowBias, int i)
    {
        if (alpha != 1f)
        {
            var va = TVec.Broadcast(alpha);
            lo *= va; hi *= va;
        }
        if (beta != 0f)
        {
            if (beta == 1f)
            {
                lo += TVec.Load(c); hi += TVec.Load(c + L);
            }
            else
            {
                var vb = TVec.Broadcast(beta);
                lo = TVec.MulAdd(vb, TVec.Load(c), lo);
                hi = TVec.MulAdd(vb, TVec.Load(c + L), hi);
            }
        }
        if (rowBias != null)
        {
            var bias = TVec.Broadcast(rowBias[i]);
            lo += bias; hi += bias;
        }
        TVec.Store(lo, c);
        TVec.Store(hi, c + L);
    }
}
