using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the panel layouts the micro-kernel streams through:
/// A as consecutive kc×MR panels (element (i, p) of a panel at p·MR + i), B as consecutive kc×NR panels
/// (element (p, j) at p·NR + j). Rows or columns past the matrix edge are zero, so the kernel needs no tails.
/// A block of mc rows starting at a multiple of MR therefore puts row block i at offset i·kc, and a block of
/// nc columns puts column j (a multiple of NR) at j·kc: the drivers rely on that. MR and NR are the micro-kernel's
/// for the width (6 × 16 with Vector256, 14 × 32 with Vector512); the AVX transposes serve both.
/// </summary>
internal static unsafe class CpuGemmPacking<TVec> where TVec : unmanaged, IVec<TVec>
{
    private static int MR => CpuGemmMicroKernel<TVec>.MR;
    private static int NR => CpuGemmMicroKernel<TVec>.NR;
    private static int L => TVec.Count;

    /// <summary>Packs rows [i0, i0+mc) × k-range [p0, p0+kc) of op(A); A is m×k (lda) or, when transposed, stored k×m.</summary>
    public static void PackA(float* dst, float* a, int lda, bool trans, int i0, int mc, int p0, int kc)
    {
        for (int ib = 0; ib < mc; ib += MR)
        {
            int rows = Math.Min(MR, mc - ib);
            float* panel = dst + (long)ib * kc;
            if (trans)
            {
                // op(A)(i, p) = A[p, i]: each step of p is MR consecutive floats of one stored row.
                float* src = a + (long)p0 * lda + i0 + ib;
                if (rows == 6 && MR == 6)
                {
                    // 4 + 2 floats per step: one 128-bit and one 64-bit move, never reading past the 6.
                    for (int p = 0; p < kc; p++, src += lda, panel += MR)
                    {
                        Vector128.Load(src).Store(panel);
                        *(long*)(panel + 4) = *(long*)(src + 4);
                    }
                }
                else if (rows == 14 && MR == 14)
                {
                    // 8 + 4 + 2 floats per step, never reading past the 14.
                    for (int p = 0; p < kc; p++, src += lda, panel += MR)
                    {
                        Vector256.Load(src).Store(panel);
                        Vector128.Load(src + 8).Store(panel + 8);
                        *(long*)(panel + 12) = *(long*)(src + 12);
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += lda, panel += MR)
                        for (int i = 0; i < MR; i++) panel[i] = i < rows ? src[i] : 0f;
                }
            }
            else
            {
                // op(A)(i, p) = A[i, p]: interleave MR row streams.
                float* r0 = a + (long)(i0 + ib) * lda + p0;
                if (rows == MR && MR == 6)
                {
                    float* r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda, r4 = r3 + lda, r5 = r4 + lda;
                    int p = 0;
                    if (Avx.IsSupported)
                        for (; p <= kc - 8; p += 8, panel += 8 * MR)
                            Transpose6x8(r0 + p, r1 + p, r2 + p, r3 + p, r4 + p, r5 + p, panel);
                    for (; p < kc; p++, panel += MR)
                    {
                        panel[0] = r0[p]; panel[1] = r1[p]; panel[2] = r2[p];
                        panel[3] = r3[p]; panel[4] = r4[p]; panel[5] = r5[p];
                    }
                }
                else if (rows == MR && Avx.IsSupported)
                {
                    // Wider tiles: 8×8 transposes of 8 rows at a time, the last rows (MR mod 8) one by one.
                    int p = 0;
                    for (; p <= kc - 8; p += 8, panel += 8 * MR)
                    {
                        int i = 0;
                        for (; i <= MR - 8; i += 8) Transpose8x8(r0 + (long)i * lda + p, lda, panel + i, MR);
                        for (; i < MR; i++)
                            for (int q = 0; q < 8; q++) panel[q * MR + i] = r0[(long)i * lda + p + q];
                    }
                    for (; p < kc; p++, panel += MR)
                        for (int i = 0; i < MR; i++) panel[i] = r0[(long)i * lda + p];
                }
                else
                {
                    for (int p = 0; p < kc; p++, panel += MR)
                        for (int i = 0; i < MR; i++) panel[i] = i < rows ? r0[(long)i * lda + p] : 0f;
                }
            }
        }
    }

    /// <summary>Packs k-range [p0, p0+kc) × columns [j0, j0+nc) of op(B); B is k×n (ldb) or, when transposed, stored n×k.</summary>
    public static void PackB(float* dst, float* b, int ldb, bool trans, int p0, int kc, int j0, int nc)
    {
        for (int jb = 0; jb < nc; jb += NR)
        {
            int cols = Math.Min(NR, nc - jb);
            float* panel = dst + (long)jb * kc;
            if (!trans)
            {
                // op(B)(p, j) = B[p, j]: NR consecutive floats per step of p.
                float* src = b + (long)p0 * ldb + j0 + jb;
                if (cols == NR)
                {
                    for (int p = 0; p < kc; p++, src += ldb, panel += NR)
                    {
                        TVec.Store(TVec.Load(src), panel);
                        TVec.Store(TVec.Load(src + L), panel + L);
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += ldb, panel += NR)
                        for (int j = 0; j < NR; j++) panel[j] = j < cols ? src[j] : 0f;
                }
            }
            else
            {
                // op(B)(p, j) = B[j, p]: gather from NR stored rows, each read sequentially in p.
                float* src = b + (long)(j0 + jb) * ldb + p0;
                if (cols == NR)
                {
                    for (int p = 0; p < kc; p += 8)
                    {
                        int steps = Math.Min(8, kc - p);
                        if (steps == 8)
                            for (int j = 0; j < NR; j += 8) Transpose8x8(src + (long)j * ldb + p, ldb, panel + (long)p * NR + j, NR);
                        else
                            for (int q = 0; q < steps; q++)
                                for (int j = 0; j < NR; j++) panel[(long)(p + q) * NR + j] = src[(long)j * ldb + p + q];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, panel += NR)
                        for (int j = 0; j < NR; j++) panel[j] = j < cols ? src[(long)j * ldb + p] : 0f;
                }
            }
        }
    }

    /// <summary>
    /// dst[q·6 + i] = r_i[q] for q &lt; 8, i &lt; 6 (8 steps of an A panel): an 8×8 transpose with two zero rows,
    /// each 6-float column stored as 8 floats whose last 2 the next store overwrites; the last one as 4 + 2.
    /// </summary>
    private static void Transpose6x8(float* r0, float* r1, float* r2, float* r3, float* r4, float* r5, float* dst)
    {
        var a0 = Vector256.Load(r0); var a1 = Vector256.Load(r1);
        var a2 = Vector256.Load(r2); var a3 = Vector256.Load(r3);
        var a4 = Vector256.Load(r4); var a5 = Vector256.Load(r5);
        var X = Avx.UnpackLow(a0, a1);   // a0 b0 a1 b1 | a4 b4 a5 b5
        var Y = Avx.UnpackHigh(a0, a1);  // a2 b2 a3 b3 | a6 b6 a7 b7
        var Z = Avx.UnpackLow(a2, a3);
        var W = Avx.UnpackHigh(a2, a3);
        var U = Avx.UnpackLow(a4, a5);   // e0 f0 e1 f1 | e4 f4 e5 f5
        var V = Avx.UnpackHigh(a4, a5);
        var t0 = Avx.Shuffle(X, Z, 0x44); // a0 b0 c0 d0 | a4 b4 c4 d4
        var t1 = Avx.Shuffle(X, Z, 0xEE);
        var t2 = Avx.Shuffle(Y, W, 0x44);
        var t3 = Avx.Shuffle(Y, W, 0xEE);
        var t4 = Avx.Shuffle(U, U, 0x44); // e0 f0 e0 f0 | e4 f4 e4 f4 (only the first pair is kept)
        var t5 = Avx.Shuffle(U, U, 0xEE);
        var t6 = Avx.Shuffle(V, V, 0x44);
        var t7 = Avx.Shuffle(V, V, 0xEE);
        Avx.Permute2x128(t0, t4, 0x20).Store(dst);
        Avx.Permute2x128(t1, t5, 0x20).Store(dst + 6);
        Avx.Permute2x128(t2, t6, 0x20).Store(dst + 12);
        Avx.Permute2x128(t3, t7, 0x20).Store(dst + 18);
        Avx.Permute2x128(t0, t4, 0x31).Store(dst + 24);
        Avx.Permute2x128(t1, t5, 0x31).Store(dst + 30);
        Avx.Permute2x128(t2, t6, 0x31).Store(dst + 36);
        var last = Avx.Permute2x128(t3, t7, 0x31);
        last.GetLower().Store(dst + 42);
        *(double*)(dst + 46) = last.GetUpper().AsDouble().ToScalar();
    }

    /// <summary>dst[q·ldd + j] = src[j·ld + q] for q, j &lt; 8: an 8×8 transpose with Vector256 shuffles (also the implicit convolution's output transpose).</summary>
    internal static void Transpose8x8(float* src, int ld, float* dst, int ldd)
    {
        var r0 = Vector256.Load(src); var r1 = Vector256.Load(src + ld);
        var r2 = Vector256.Load(src + 2L * ld); var r3 = Vector256.Load(src + 3L * ld);
        var r4 = Vector256.Load(src + 4L * ld); var r5 = Vector256.Load(src + 5L * ld);
        var r6 = Vector256.Load(src + 6L * ld); var r7 = Vector256.Load(src + 7L * ld);
        if (Avx.IsSupported)
        {
            var X = Avx.UnpackLow(r0, r1); // a0 b0 a1 b1 | a4 b4 a5 b5
            var Y = Avx.UnpackHigh(r0, r1);
            var Z = Avx.UnpackLow(r2, r3);
            var W = Avx.UnpackHigh(r2, r3);
            var U = Avx.UnpackLow(r4, r5);
            var V = Avx.UnpackHigh(r4, r5);
            var S = Avx.UnpackLow(r6, r7);
            var T = Avx.UnpackHigh(r6, r7);
            var t0 = Avx.Shuffle(X, Z, 0x44); // a0 b0 c0 d0 | a4 b4 c4 d4
            var t1 = Avx.Shuffle(X, Z, 0xEE); // a1 b1 c1 d1 | a5 ...
            var t2 = Avx.Shuffle(Y, W, 0x44); // a2 .. | a6
            var t3 = Avx.Shuffle(Y, W, 0xEE); // a3 .. | a7
            var t4 = Avx.Shuffle(U, S, 0x44);
            var t5 = Avx.Shuffle(U, S, 0xEE);
            var t6 = Avx.Shuffle(V, T, 0x44);
            var t7 = Avx.Shuffle(V, T, 0xEE);
            Vector256.Store(Avx.Permute2x128(t0, t4, 0x20), dst);
            Vector256.Store(Avx.Permute2x128(t1, t5, 0x20), dst + ldd);
            Vector256.Store(Avx.Permute2x128(t2, t6, 0x20), dst + 2 * ldd);
            Vector256.Store(Avx.Permute2x128(t3, t7, 0x20), dst + 3 * ldd);
            Vector256.Store(Avx.Permute2x128(t0, t4, 0x31), dst + 4 * ldd);
            Vector256.Store(Avx.Permute2x128(t1, t5, 0x31), dst + 5 * ldd);
            Vector256.Store(Avx.Permute2x128(t2, t6, 0x31), dst + 6 * ldd);
            Vector256.Store(Avx.Permute2x128(t3, t7, 0x31), dst + 7 * ldd);
            return;
        }
        for (int q = 0; q < 8; q++)
            for (int j = 0; j < 8; j++) dst[q * ldd + j] = src[(long)j * ld + q];
    }
}
