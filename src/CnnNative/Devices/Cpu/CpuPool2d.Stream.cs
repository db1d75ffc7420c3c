using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// 2×2 stride-2 pooling of short rows as one stream (<see cref="CpuPaths.StreamPooling"/>). Where the windows tile
/// the input exactly (H = 2P, W = 2Q), pair i of input rows (2i, 2i + 1), counted across all planes, makes output row
/// i, and laid end to end the pairs' top rows and bottom rows are two long rows whose windows are the tensor's
/// windows in order. LeNet's second pool has rows of 5 windows: per row, two overlapping 4-window blocks; as a stream,
/// 16 windows a 512-bit block with none recomputed. A chunk's row pairs are staged (copied, 4 KiB a row, in L1) into
/// a top row and a bottom row, the blocks of <see cref="CpuPool2d"/> run along them, and backward copies the two
/// gradient rows back into dx's rows (at 512 bits, rows of 4–16 windows skip the staging: one 16-window block a row
/// pair, in place, <see cref="PairRows16"/>). Max forward stages one row instead, the pairs' vertical maxima, and takes the
/// maximum of each pair of its columns: max is associative and commutative (Vector.Max and Math.Max order −0 below +0
/// and return NaN when either is NaN), so the windows' values are those of the per-row path, which takes the columns'
/// maxima first. Every other pass computes each window exactly as the per-row path does.
/// </summary>
internal static unsafe partial class CpuPool2d
{
    /// <summary>Floats of each staged row (top, bottom, and backward's two gradient rows): 4 KiB each.</summary>
    private const int StreamFloats = 1024;

    /// <summary>
    /// Windows per block of the stream path for <paramref name="g"/> (16 on a 512-bit device with AVX-512F, else 8), or
    /// 0 where it does not apply: the path left out, a window other than 2×2 stride 2, windows not tiling the input
    /// exactly, or rows of 32 windows or more (whole blocks along each row already; staging would only add copies).
    /// Backward at 512 bits takes rows of 4–16 windows one 16-window block a row pair in place (<see cref="PairRows16"/>)
    /// and stages shorter ones; at 256 bits it stages rows of under 8 windows and leaves longer ones to the per-row
    /// path. Measured (same process, batch 64): backward 1.41–1.46× with rows of 14 windows, 1.17–1.31× with 5 and 7
    /// at 512 bits, where staging four rows ran 0.81–0.91× with 14 and 0.97–1.09× with 7.
    /// </summary>
    public static int StreamBlock(in Pool2dGeometry g, CpuPaths paths, CpuIsa isa, bool backward)
    {
        if ((paths & CpuPaths.StreamPooling) == 0 || !Is2x2(g) || g.H != 2 * g.P || g.W != 2 * g.Q || g.Q >= 32) return 0;
        int block = isa == CpuIsa.Vector512 && Avx512F.IsSupported ? 16 : 8;
        if (!backward) return block;
        return block == 16 ? (g.Q <= 16 ? 16 : 0) : (g.Q < 8 ? 8 : 0);
    }

    /// <summary>
    /// Pools row pairs [first, end) of a tensor whose 2×2 windows tile it exactly: forward writes y's rows
    /// [first, end), backward overwrites dx's rows [2·first, 2·end). Touches nothing outside them.
    /// </summary>
    [SkipLocalsInit]
    private static void Stream2x2(in Pool2dGeometry g, float* x, float* y, float* dy, float* dx, long first, long end, Pool2dPass pass, int block)
    {
        int w = g.W, q = g.Q, pairs = Math.Max(1, StreamFloats / w);
        bool backward = pass >= Pool2dPass.MaxBackward;
        if (backward && block == 16 && q >= 4)
        {
            PairRows16(x, dy, dx, w, q, first, end, pass);
            return;
        }
        float* staged = stackalloc float[4 * StreamFloats];
        float* top = staged, bottom = top + StreamFloats, dTop = bottom + StreamFloats, dBottom = dTop + StreamFloats;
        for (long i0 = first; i0 < end; i0 += pairs)
        {
            int n = (int)Math.Min(pairs, end - i0);
            float* rows = x + i0 * 2 * w;
            if (pass == Pool2dPass.MaxForward)
            {
                for (int k = 0; k < n; k++) MaxOfRows(rows + 2L * k * w, rows + (2L * k + 1) * w, top + k * w, w);
                PairMax(top, y + i0 * q, n * q, block);
                continue;
            }
            for (int k = 0; k < n; k++)
            {
                CopyRow(rows + 2L * k * w, top + k * w, w);
                CopyRow(rows + (2L * k + 1) * w, bottom + k * w, w);
            }
            StreamRow2x2(top, bottom, backward ? null : y + i0 * q, backward ? dy + i0 * q : null, dTop, dBottom, n * q, pass, block);
            if (!backward) continue;
            float* dRows = dx + i0 * 2 * w;
            for (int k = 0; k < n; k++)
            {
                CopyRow(dTop + k * w, dRows + 2L * k * w, w);
                CopyRow(dBottom + k * w, dRows + (2L * k + 1) * w, w);
            }
        }
    }

    /// <summary>
    /// Backward of rows of 4–16 windows, one 16-window block a row pair, in place: the block reads and writes whole
    /// vectors past the pair's rows (into the bottom row, the next pairs, the next rows of dy), so each pair's spill is
    /// overwritten by the stores that follow it in this loop, and the pairs whose block would reach past the range go
    /// through the exact per-row blocks, so nothing outside [first, end) is read past the tensor or written.
    /// </summary>
    private static void PairRows16(float* x, float* dy, float* dx, int w, int q, long first, long end, Pool2dPass pass)
    {
        for (long i = first; i < end; i++)
        {
            float* r0 = x + i * 2 * w, d0 = dx + i * 2 * w;
            if (i * 2 * w + w + 32 > end * 2 * w || i * q + 16 > end * q) Row2x2(r0, r0 + w, null, dy + i * q, d0, d0 + w, q, pass);
            else Block16(r0, r0 + w, null, dy + i * q, d0, d0 + w, pass);
        }
    }

    /// <summary>
    /// Copies w floats in whole vectors, the last one overlapping the one before it (so it never reads or writes past
    /// the row); rows under 4 floats element by element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* from, float* to, int w)
    {
        if (w >= 16 && Vector512.IsHardwareAccelerated)
        {
            for (int j = 0; j < w - 16; j += 16) Vector512.Load(from + j).Store(to + j);
            Vector512.Load(from + w - 16).Store(to + w - 16);
        }
        else if (w >= 8)
        {
            for (int j = 0; j < w - 8; j += 8) Vector256.Load(from + j).Store(to + j);
            Vector256.Load(from + w - 8).Store(to + w - 8);
        }
        else if (w >= 4)
        {
            Vector128.Load(from).Store(to);
            Vector128.Load(from + w - 4).Store(to + w - 4);
        }
        else
        {
            for (int j = 0; j < w; j++) to[j] = from[j];
        }
    }

    /// <summary>to[j] = max(a[j], b[j]) for j &lt; w, in vectors as <see cref="CopyRow"/> copies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxOfRows(float* a, float* b, float* to, int w)
    {
        if (w >= 16 && Vector512.IsHardwareAccelerated)
        {
            for (int j = 0; j < w - 16; j += 16) Vector512.Max(Vector512.Load(a + j), Vector512.Load(b + j)).Store(to + j);
            Vector512.Max(Vector512.Load(a + w - 16), Vector512.Load(b + w - 16)).Store(to + w - 16);
        }
        else if (w >= 8)
        {
            for (int j = 0; j < w - 8; j += 8) Vector256.Max(Vector256.Load(a + j), Vector256.Load(b + j)).Store(to + j);
            Vector256.Max(Vector256.Load(a + w - 8), Vector256.Load(b + w - 8)).Store(to + w - 8);
        }
        else
        {
            for (int j = 0; j < w; j++) to[j] = Math.Max(a[j], b[j]);
        }
    }

    /// <summary>
    /// y[j] = max(v[2j], v[2j + 1]) for j &lt; m: the horizontal half of max pooling, along the stream of the row pairs'
    /// vertical maxima; 16 windows a block at 512 bits, 8 at 256, the last block overlapping the one before it.
    /// </summary>
    private static void PairMax(float* v, float* y, int m, int block)
    {
        if (block == 16 && m >= 16)
        {
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            for (int j = 0; ; j += 16)
            {
                if (j > m - 16) j = m - 16;
                var a0 = Vector512.Load(v + 2 * j); var a1 = Vector512.Load(v + 2 * j + 16);
                Vector512.Max(Avx512F.PermuteVar16x32x2(a0, even, a1), Avx512F.PermuteVar16x32x2(a0, odd, a1)).Store(y + j);
                if (j == m - 16) break;
            }
        }
        else if (m >= 8)
        {
            for (int j = 0; ; j += 8)
            {
                if (j > m - 8) j = m - 8;
                var a0 = Vector256.Load(v + 2 * j); var a1 = Vector256.Load(v + 2 * j + 8);
                // Even and odd columns in lane order [0 1 4 5 | 2 3 6 7], put back in order after the max (as Block8).
                var max = Vector256.Max(Avx.Shuffle(a0, a1, 0x88), Avx.Shuffle(a0, a1, 0xDD));
                Avx2.Permute4x64(max.AsDouble(), 0xD8).AsSingle().Store(y + j);
                if (j == m - 8) break;
            }
        }
        else
        {
            for (int j = 0; j < m; j++) y[j] = Math.Max(v[2 * j], v[2 * j + 1]);
        }
    }

    /// <summary>
    /// <see cref="Row2x2"/> along a staged stream of m windows, in blocks of 16 where the block is 16 and the stream
    /// holds one (the last block overlapping the one before it, as there).
    /// </summary>
    private static void StreamRow2x2(float* r0, float* r1, float* y, float* dy, float* d0, float* d1, int m, Pool2dPass pass, int block)
    {
        if (block < 16 || m < 16)
        {
            Row2x2(r0, r1, y, dy, d0, d1, m, pass);
            return;
        }
        for (int j = 0; ; j += 16)
        {
            if (j > m - 16) j = m - 16;
            Block16(r0 + 2 * j, r1 + 2 * j, y + j, dy + j, d0 + 2 * j, d1 + 2 * j, pass);
            if (j == m - 16) break;
        }
    }

    /// <summary>
    /// <see cref="Block8"/> on 16 windows with 512-bit vectors: the same comparisons and selections
    /// (<see cref="MaxRoutes"/>) and double-precision sums per window, so the same bits. Even and odd columns are
    /// picked across two vectors (vpermt2ps), which keeps the windows in order, so no lane fix-up follows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block16(float* r0, float* r1, float* y, float* dy, float* d0, float* d1, Pool2dPass pass)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        var a0 = Vector512.Load(r0); var a1 = Vector512.Load(r0 + 16);
        var b0 = Vector512.Load(r1); var b1 = Vector512.Load(r1 + 16);
        var e0 = Avx512F.PermuteVar16x32x2(a0, even, a1); var o0 = Avx512F.PermuteVar16x32x2(a0, odd, a1);
        var e1 = Avx512F.PermuteVar16x32x2(b0, even, b1); var o1 = Avx512F.PermuteVar16x32x2(b0, odd, b1);
        switch (pass)
        {
            case Pool2dPass.MaxForward:
                Vector512.Max(Vector512.Max(e0, o0), Vector512.Max(e1, o1)).Store(y);
                break;
            case Pool2dPass.AverageForward:
            {
                var quarter = Vector512.Create(0.25);
                var lo = ((Avx512F.ConvertToVector512Double(e0.GetLower()) + Avx512F.ConvertToVector512Double(o0.GetLower()))
                          + Avx512F.ConvertToVector512Double(e1.GetLower())) + Avx512F.ConvertToVector512Double(o1.GetLower());
                var hi = ((Avx512F.ConvertToVector512Double(e0.GetUpper()) + Avx512F.ConvertToVector512Double(o0.GetUpper()))
                          + Avx512F.ConvertToVector512Double(e1.GetUpper())) + Avx512F.ConvertToVector512Double(o1.GetUpper());
                Vector512.Create(Avx512F.ConvertToVector256Single(lo * quarter), Avx512F.ConvertToVector256Single(hi * quarter)).Store(y);
                break;
            }
            case Pool2dPass.MaxBackward:
            case Pool2dPass.MaxReluBackward:
            {
                var d = Vector512.Load(dy) + Vector512<float>.Zero;
                MaxRoutes(new V512(e0), new V512(o0), new V512(e1), new V512(o1), new V512(d), pass == Pool2dPass.MaxReluBackward,
                          out var g0, out var g1, out var g2, out var g3);
                StoreInterleaved(g0.V, g1.V, d0);
                StoreInterleaved(g2.V, g3.V, d1);
                break;
            }
            default:
            {
                var s = Vector512.Load(dy) / Vector512.Create(4f) + Vector512<float>.Zero;
                StoreInterleaved(s, s, d0);
                StoreInterleaved(s, s, d1);
                break;
            }
        }
    }

    /// <summary>Writes a0, b0, a1, b1, … a15, b15 to to[0..32): a block's even and odd columns back into a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreInterleaved(Vector512<float> a, Vector512<float> b, float* to)
    {
        var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var high = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        Avx512F.PermuteVar16x32x2(a, low, b).Store(to);
        Avx512F.PermuteVar16x32x2(a, high, b).Store(to + 16);
    }
}
