using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The 6×16 register-blocked GEMM micro-kernel: 12 Vector256 accumulators (6 rows × 2 vectors of 8 columns),
/// enough independent FMA chains to hide Zen's 4-cycle FMA latency with two FMA pipes (≥ 8 needed).
/// Per step of k it loads 16 floats of B, broadcasts 6 floats of A and issues 12 FMAs.
/// </summary>
/// <remarks>
/// Operands are packed panels (see <see cref="CpuGemmPacking"/>): A as kc×6, B as kc×16, zero-padded at the edges,
/// so the inner loop never branches on edges. Only the store is edge-aware, and a partial tile goes through a
/// small stack tile, which is off the hot path. Without FMA hardware the same code runs with multiply+add
/// (still Vector256, which .NET lowers to 128-bit or scalar code where AVX is absent).
/// </remarks>
internal static unsafe class CpuGemmMicroKernel
{
    public const int MR = 6;
    public const int NR = 16;

    /// <summary>Whether fused multiply-add instructions are used (AVX2+FMA); otherwise multiply then add.</summary>
    public static readonly bool UsesFma = Fma.IsSupported && Avx2.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c)
        => UsesFma ? Fma.MultiplyAdd(a, b, c) : a * b + c;

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
        float* tile = stackalloc float[MR * NR];
        if (nr <= NR / 2)
        {
            AccumulateNarrow(kc, ap, bp, tile);
            StoreNarrow(tile, c, ldc, alpha, beta, rowBias, mr, nr);
            return;
        }
        Accumulate(kc, ap, bp, tile);
        if (mr == MR && nr == NR)
        {
            for (int i = 0; i < MR; i++)
                StoreRow(c + (long)i * ldc, Vector256.Load(tile + i * NR), Vector256.Load(tile + i * NR + 8), alpha, beta, rowBias, i);
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
    /// tile (6×16, row-major) = Ap · Bp over kc steps. Kept apart from the store, with pointer arguments only, so
    /// that all 12 accumulators, the 2 B vectors and the broadcast A value fit the 16 ymm registers (alpha and beta
    /// arrive in ymm0/ymm1 and would otherwise push an accumulator to the stack).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Accumulate(int kc, float* ap, float* bp, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var a = Vector256.Create(ap[0]);
            c00 = MulAdd(a, b0, c00); c01 = MulAdd(a, b1, c01);
            a = Vector256.Create(ap[1]);
            c10 = MulAdd(a, b0, c10); c11 = MulAdd(a, b1, c11);
            a = Vector256.Create(ap[2]);
            c20 = MulAdd(a, b0, c20); c21 = MulAdd(a, b1, c21);
            a = Vector256.Create(ap[3]);
            c30 = MulAdd(a, b0, c30); c31 = MulAdd(a, b1, c31);
            a = Vector256.Create(ap[4]);
            c40 = MulAdd(a, b0, c40); c41 = MulAdd(a, b1, c41);
            a = Vector256.Create(ap[5]);
            c50 = MulAdd(a, b0, c50); c51 = MulAdd(a, b1, c51);
            ap += MR;
            bp += NR;
        }
        c00.Store(tile); c01.Store(tile + 8);
        c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40);
        c30.Store(tile + 48); c31.Store(tile + 56);
        c40.Store(tile + 64); c41.Store(tile + 72);
        c50.Store(tile + 80); c51.Store(tile + 88);
    }

    /// <summary>
    /// tile (6×8 used of 6×16) = Ap · Bp[:, 0..8): the left half of a panel only, 6 accumulators. Same sums, in the
    /// same order, as the first 8 columns of <see cref="Accumulate"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AccumulateNarrow(int kc, float* ap, float* bp, float* tile)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (int p = 0; p < kc; p++)
        {
            var b = Vector256.Load(bp);
            c0 = MulAdd(Vector256.Create(ap[0]), b, c0);
            c1 = MulAdd(Vector256.Create(ap[1]), b, c1);
            c2 = MulAdd(Vector256.Create(ap[2]), b, c2);
            c3 = MulAdd(Vector256.Create(ap[3]), b, c3);
            c4 = MulAdd(Vector256.Create(ap[4]), b, c4);
            c5 = MulAdd(Vector256.Create(ap[5]), b, c5);
            ap += MR;
            bp += NR;
        }
        c0.Store(tile); c1.Store(tile + NR); c2.Store(tile + 2 * NR);
        c3.Store(tile + 3 * NR); c4.Store(tile + 4 * NR); c5.Store(tile + 5 * NR);
    }

    /// <summary>The update of C from a narrow tile: whole rows of 8 as vectors, fewer columns one by one.</summary>
    private static void StoreNarrow(float* tile, float* c, int ldc, float alpha, float beta, float* rowBias, int mr, int nr)
    {
        for (int i = 0; i < mr; i++)
        {
            float* row = c + (long)i * ldc;
            float bias = rowBias == null ? 0f : rowBias[i];
            if (nr == NR / 2) // as StoreRow does it for one half
            {
                var v = Vector256.Load(tile + i * NR);
                if (alpha != 1f) v *= Vector256.Create(alpha);
                if (beta == 1f) v += Vector256.Load(row);
                else if (beta != 0f) v = MulAdd(Vector256.Create(beta), Vector256.Load(row), v);
                if (rowBias != null) v += Vector256.Create(bias);
                v.Store(row);
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
    /// Full-width tile (16 columns, the first <paramref name="mr"/> of 6 rows) with alpha = 1: C = Ap · Bp (+ C when
    /// addC = 1) (+ rowBias), the accumulators going straight from registers to C. The padding rows of a partial
    /// tile are computed (they are zeros in Ap) but not stored. Same sums, in the same order, as
    /// <see cref="Accumulate"/> followed by the stored update.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AccumulateUpdate(int kc, float* ap, float* bp, float* c, int ldc, int addC, float* rowBias, int mr)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var a = Vector256.Create(ap[0]);
            c00 = MulAdd(a, b0, c00); c01 = MulAdd(a, b1, c01);
            a = Vector256.Create(ap[1]);
            c10 = MulAdd(a, b0, c10); c11 = MulAdd(a, b1, c11);
            a = Vector256.Create(ap[2]);
            c20 = MulAdd(a, b0, c20); c21 = MulAdd(a, b1, c21);
            a = Vector256.Create(ap[3]);
            c30 = MulAdd(a, b0, c30); c31 = MulAdd(a, b1, c31);
            a = Vector256.Create(ap[4]);
            c40 = MulAdd(a, b0, c40); c41 = MulAdd(a, b1, c41);
            a = Vector256.Create(ap[5]);
            c50 = MulAdd(a, b0, c50); c51 = MulAdd(a, b1, c51);
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
    }

    /// <summary>One tile row from registers to C: (+ C when addC = 1) (+ rowBias[i] when not null). Also the implicit convolution's store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Update(float* c, Vector256<float> lo, Vector256<float> hi, int addC, float* rowBias, int i)
    {
        if (addC != 0) { lo += Vector256.Load(c); hi += Vector256.Load(c + 8); }
        if (rowBias != null) { var bias = Vector256.Create(rowBias[i]); lo += bias; hi += bias; }
        lo.Store(c);
        hi.Store(c + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> lo, Vector256<float> hi, float alpha, float beta, float* rowBias, int i)
    {
        if (alpha != 1f)
        {
            var va = Vector256.Create(alpha);
            lo *= va; hi *= va;
        }
        if (beta != 0f)
        {
            if (beta == 1f)
            {
                lo += Vector256.Load(c); hi += Vector256.Load(c + 8);
            }
            else
            {
                var vb = Vector256.Create(beta);
                lo = MulAdd(vb, Vector256.Load(c), lo);
                hi = MulAdd(vb, Vector256.Load(c + 8), hi);
            }
        }
        if (rowBias != null)
        {
            var bias = Vector256.Create(rowBias[i]);
            lo += bias; hi += bias;
        }
        lo.Store(c);
        hi.Store(c + 8);
    }
}
