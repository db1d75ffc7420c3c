using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>Which of the four pooling computations a 2×2 block performs.</summary>
internal enum Pool2dPass { MaxForward, AverageForward, MaxBackward, AverageBackward, MaxReluBackward }

/// <summary>
/// The pool2d family: max and average pooling as <see cref="IRangeKernel"/> structs over (n, c) planes. Planes are
/// independent, and within a plane the windows are visited in the reference's order, so overlapping windows add up
/// in the same order. The common 2×2 stride-2 window has AVX paths for max and average, forward and backward (8 or 4
/// windows a step, the same comparisons and the same double-precision sums as the reference, so the same bits); where
/// its windows tile short rows exactly, the planes' row pairs run as one stream (CpuPool2d.Stream.cs).
/// </summary>
internal static unsafe partial class CpuPool2d
{
    /// <summary>
    /// Planes per chunk: about 64 Ki input elements, the chunks evened out to a multiple of the thread count (LeNet's
    /// 384 planes of 28×28 were 4 chunks of 83 and one of 52, so one thread pooled 249 planes while the other did 135;
    /// now 6 of 64). Each plane is pooled alone, so how they are grouped changes no result.
    /// </summary>
    public static int PlanesPerChunk(in Pool2dGeometry g, int threads)
    {
        int planes = g.N * g.C, perChunk = Math.Max(1, (1 << 16) / (g.H * g.W));
        int chunks = CpuGemm.RoundUp(ParallelRange.Chunks(planes, perChunk), Math.Max(1, threads));
        return Math.Max(1, (planes + chunks - 1) / chunks);
    }

    /// <summary>y = pool(x) over planes [start, end).</summary>
    public struct Forward : IRangeKernel
    {
        public Pool2dGeometry G;
        public PoolMode Mode;
        /// <summary>Windows per block of the stream path, 0 for plane by plane (<see cref="CpuPool2d.StreamBlock(in Pool2dGeometry, CpuPaths, CpuIsa, bool)"/>).</summary>
        public int StreamBlock;
        public float* X, Y;

        public readonly void Run(int start, int end, int chunk)
        {
            ref readonly var g = ref G;
            var pass = Mode == PoolMode.Max ? Pool2dPass.MaxForward : Pool2dPass.AverageForward;
            if (StreamBlock != 0)
            {
                Stream2x2(g, X, Y, null, null, (long)start * g.P, (long)end * g.P, pass, StreamBlock);
                return;
            }
            for (int nc = start; nc < end; nc++)
            {
                float* x = X + (long)nc * g.H * g.W, y = Y + (long)nc * g.P * g.Q;
                if (Is2x2(g))
                    Plane2x2(x, y, null, null, g, pass);
                else
                    GenericForwardPlane(x, y, g, Mode);
            }
        }
    }

    private static void GenericForwardPlane(float* x, float* y, in Pool2dGeometry g, PoolMode mode)
    {
        int window = g.R * g.S;
        for (int p = 0; p < g.P; p++)
            for (int q = 0; q < g.Q; q++)
            {
                float* w0 = x + (long)p * g.StrideH * g.W + q * g.StrideW;
                if (mode == PoolMode.Max)
                {
                    float acc = float.NegativeInfinity;
                    for (int r = 0; r < g.R; r++)
                        for (int s = 0; s < g.S; s++)
                        {
                            float v = w0[r * g.W + s];
                            if (v > acc || float.IsNaN(v)) acc = v;
                        }
                    y[p * g.Q + q] = acc;
                }
                else
                {
                    double acc = 0;
                    for (int r = 0; r < g.R; r++)
                        for (int s = 0; s < g.S; s++) acc += w0[r * g.W + s];
                    y[p * g.Q + q] = (float)(acc / window);
                }
            }
    }

    /// <summary>The reference's running maximum: a larger value or any NaN replaces the accumulator.</summary>
    private static float MaxInOrder(float acc, float v) => v > acc || float.IsNaN(v) ? v : acc;

    /// <summary>
    /// dx = gradient of pool(x) (overwritten) over planes [start, end); with <see cref="Relu"/> (max pooling only) also
    /// through the ReLU whose output x is: each routed dy times (x &gt; 0 ? 1 : 0), as the ReLU's backward would.
    /// </summary>
    public struct Backward : IRangeKernel
    {
        public Pool2dGeometry G;
        public PoolMode Mode;
        public bool Relu;
        /// <summary>Windows per block of the stream path, 0 for plane by plane (<see cref="CpuPool2d.StreamBlock(in Pool2dGeometry, CpuPaths, CpuIsa, bool)"/>).</summary>
        public int StreamBlock;
        public float* X, Dy, Dx;

        public readonly void Run(int start, int end, int chunk)
        {
            if (StreamBlock != 0)
            {
                Stream2x2(G, X, null, Dy, Dx, (long)start * G.P, (long)end * G.P, BackwardPass(Mode, Relu), StreamBlock);
                return;
            }
            for (int nc = start; nc < end; nc++) BackwardPlane(G, Mode, Relu, X, Dy, Dx, nc);
        }
    }

    private static Pool2dPass BackwardPass(PoolMode mode, bool relu)
        => mode == PoolMode.Average ? Pool2dPass.AverageBackward : relu ? Pool2dPass.MaxReluBackward : Pool2dPass.MaxBackward;

    /// <summary>One plane of the backward pass; dx is overwritten (positions no window covers get 0).</summary>
    private static void BackwardPlane(in Pool2dGeometry g, PoolMode mode, bool relu, float* xAll, float* dyAll, float* dxAll, int nc)
    {
        long plane = (long)nc * g.H * g.W;
        float* x = xAll + plane, dx = dxAll + plane, dy = dyAll + (long)nc * g.P * g.Q;
        if (Is2x2(g))
        {
            Plane2x2(x, null, dy, dx, g, BackwardPass(mode, relu));
            return;
        }
        new Span<float>(dx, g.H * g.W).Clear();
        for (int p = 0; p < g.P; p++)
            for (int q = 0; q < g.Q; q++)
            {
                float d = dy[p * g.Q + q];
                int w0 = p * g.StrideH * g.W + q * g.StrideW;
                if (mode == PoolMode.Average)
                {
                    float s = d / (g.R * g.S);
                    for (int r = 0; r < g.R; r++)
                        for (int c = 0; c < g.S; c++) dx[w0 + r * g.W + c] += s;
                    continue;
                }
                int best = w0;
                for (int r = 0; r < g.R; r++)
                    for (int c = 0; c < g.S; c++)
                    {
                        int i = w0 + r * g.W + c;
                        if (x[i] > x[best]) best = i;
                    }
                dx[best] += relu ? d * (x[best] > 0 ? 1f : 0f) : d;
            }
    }

    // ------------------------------------------------------------------ 2×2 stride-2 fast paths

    /// <summary>Whether the window is 2×2 with stride 2 and the AVX2 paths apply.</summary>
    public static bool Is2x2(in Pool2dGeometry g) => g.R == 2 && g.S == 2 && g.StrideH == 2 && g.StrideW == 2 && Avx2.IsSupported;

    /// <summary>
    /// Visits one output row of a 2×2/2 pooling in blocks of 8 (Vector256) or 4 (Vector128) outputs; the last
    /// block overlaps the one before it instead of a scalar tail (the outputs it recomputes get the same values,
    /// windows do not overlap). Rows shorter than 4 outputs go element by element.
    /// </summary>
    private static void Row2x2(float* r0, float* r1, float* yr, float* dyr, float* d0, float* d1, int q, Pool2dPass pass)
    {
        if (q >= 8)
        {
            for (int j = 0; ; j += 8)
            {
                if (j > q - 8) j = q - 8;
                Block8(r0 + 2 * j, r1 + 2 * j, yr + j, dyr + j, d0 + 2 * j, d1 + 2 * j, pass);
                if (j == q - 8) break;
            }
        }
        else if (q >= 4)
        {
            Block4(r0, r1, yr, dyr, d0, d1, pass);
            Block4(r0 + 2 * (q - 4), r1 + 2 * (q - 4), yr + q - 4, dyr + q - 4, d0 + 2 * (q - 4), d1 + 2 * (q - 4), pass);
        }
        else
        {
            for (int j = 0; j < q; j++) Scalar2x2(r0 + 2 * j, r1 + 2 * j, yr + j, dyr + j, d0 + 2 * j, d1 + 2 * j, pass);
        }
    }

    private static void Scalar2x2(float* r0, float* r1, float* y, float* dy, float* d0, float* d1, Pool2dPass pass)
    {
        switch (pass)
        {
            case Pool2dPass.MaxForward:
                *y = MaxInOrder(MaxInOrder(MaxInOrder(MaxInOrder(float.NegativeInfinity, r0[0]), r0[1]), r1[0]), r1[1]);
                break;
            case Pool2dPass.AverageForward:
                *y = (float)(((((double)r0[0] + r0[1]) + r1[0]) + r1[1]) / 4);
                break;
            case Pool2dPass.MaxBackward:
            case Pool2dPass.MaxReluBackward:
            {
                float m = r0[0]; int sel = 0;
                if (r0[1] > m) { m = r0[1]; sel = 1; }
                if (r1[0] > m) { m = r1[0]; sel = 2; }
                if (r1[1] > m) { m = r1[1]; sel = 3; }
                float d = *dy + 0f;
                if (pass == Pool2dPass.MaxReluBackward) d *= m > 0 ? 1f : 0f;
                d0[0] = sel == 0 ? d : 0f; d0[1] = sel == 1 ? d : 0f;
                d1[0] = sel == 2 ? d : 0f; d1[1] = sel == 3 ? d : 0f;
                break;
            }
            default:
            {
                float s = *dy / 4 + 0f;
                d0[0] = d0[1] = d1[0] = d1[1] = s;
                break;
            }
        }
    }

    /// <summary>
    /// The max-pooling gradient of a block of 2×2 windows whose positions, in row-major order, are e0, o0 (the top
    /// row's even and odd columns) and e1, o1 (the bottom row's): d goes to each window's first maximum (strict
    /// comparisons, false with NaN, as the reference's), times the ReLU's gradient there (1 where that value is
    /// positive, else 0) with <paramref name="relu"/>; g0–g3 are the four positions' gradients. Shared by the 8- and
    /// 16-window blocks, so both widths route alike.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxRoutes<TVec>(TVec e0, TVec o0, TVec e1, TVec o1, TVec d, bool relu, out TVec g0, out TVec g1, out TVec g2, out TVec g3)
        where TVec : unmanaged, IVec<TVec>
    {
        var m = e0;
        var s1 = TVec.GreaterThan(o0, m); m = TVec.Select(s1, o0, m);
        var s2 = TVec.GreaterThan(e1, m); m = TVec.Select(s2, e1, m);
        var s3 = TVec.GreaterThan(o1, m);
        if (relu) d *= TVec.PositiveMask(TVec.Select(s3, o1, m));
        g3 = d & s3;
        g2 = d & TVec.AndNot(s2, s3);
        g1 = d & TVec.AndNot(TVec.AndNot(s1, s2), s3);
        g0 = d & ~(s1 | s2 | s3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8(float* r0, float* r1, float* y, float* dy, float* d0, float* d1, Pool2dPass pass)
    {
        // Even/odd columns of 8 windows, lane order [0 1 4 5 | 2 3 6 7] (Shuffle works within 128-bit lanes).
        var a0 = Vector256.Load(r0); var a1 = Vector256.Load(r0 + 8);
        var b0 = Vector256.Load(r1); var b1 = Vector256.Load(r1 + 8);
        var e0 = Avx.Shuffle(a0, a1, 0x88); var o0 = Avx.Shuffle(a0, a1, 0xDD);
        var e1 = Avx.Shuffle(b0, b1, 0x88); var o1 = Avx.Shuffle(b0, b1, 0xDD);
        switch (pass)
        {
            case Pool2dPass.MaxForward:
            {
                var m = Vector256.Max(Vector256.Max(e0, o0), Vector256.Max(e1, o1));
                Avx2.Permute4x64(m.AsDouble(), 0xD8).AsSingle().Store(y);
                break;
            }
            case Pool2dPass.AverageForward:
            {
                // The reference's sum: in double, window order, then divided by 4 (exact).
                var q = Vector256.Create(0.25);
                var lo = ((Avx.ConvertToVector256Double(e0.GetLower()) + Avx.ConvertToVector256Double(o0.GetLower()))
                          + Avx.ConvertToVector256Double(e1.GetLower())) + Avx.ConvertToVector256Double(o1.GetLower());
                var hi = ((Avx.ConvertToVector256Double(e0.GetUpper()) + Avx.ConvertToVector256Double(o0.GetUpper()))
                          + Avx.ConvertToVector256Double(e1.GetUpper())) + Avx.ConvertToVector256Double(o1.GetUpper());
                var m = Vector256.Create(Avx.ConvertToVector128Single(lo * q), Avx.ConvertToVector128Single(hi * q));
                Avx2.Permute4x64(m.AsDouble(), 0xD8).AsSingle().Store(y);
                break;
            }
            case Pool2dPass.MaxBackward:
            case Pool2dPass.MaxReluBackward:
            {
                var d = Avx2.Permute4x64(Vector256.Load(dy).AsDouble(), 0xD8).AsSingle() + Vector256<float>.Zero;
                MaxRoutes(new V256(e0), new V256(o0), new V256(e1), new V256(o1), new V256(d), pass == Pool2dPass.MaxReluBackward,
                          out var g0, out var g1, out var g2, out var g3);
                Avx.UnpackLow(g0.V, g1.V).Store(d0); Avx.UnpackHigh(g0.V, g1.V).Store(d0 + 8);
                Avx.UnpackLow(g2.V, g3.V).Store(d1); Avx.UnpackHigh(g2.V, g3.V).Store(d1 + 8);
                break;
            }
            default:
            {
                var s = Avx2.Permute4x64(Vector256.Load(dy).AsDouble(), 0xD8).AsSingle() / Vector256.Create(4f) + Vector256<float>.Zero;
                var lo = Avx.UnpackLow(s, s); var hi = Avx.UnpackHigh(s, s);
                lo.Store(d0); hi.Store(d0 + 8); lo.Store(d1); hi.Store(d1 + 8);
                break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4(float* r0, float* r1, float* y, float* dy, float* d0, float* d1, Pool2dPass pass)
    {
        var a0 = Vector128.Load(r0); var a1 = Vector128.Load(r0 + 4);
        var b0 = Vector128.Load(r1); var b1 = Vector128.Load(r1 + 4);
        var e0 = Sse.Shuffle(a0, a1, 0x88); var o0 = Sse.Shuffle(a0, a1, 0xDD);
        var e1 = Sse.Shuffle(b0, b1, 0x88); var o1 = Sse.Shuffle(b0, b1, 0xDD);
        switch (pass)
        {
            case Pool2dPass.MaxForward:
                Vector128.Max(Vector128.Max(e0, o0), Vector128.Max(e1, o1)).Store(y);
                break;
            case Pool2dPass.AverageForward:
            {
                var sum = ((Avx.ConvertToVector256Double(e0) + Avx.ConvertToVector256Double(o0)) + Avx.ConvertToVector256Double(e1))
                          + Avx.ConvertToVector256Double(o1);
                Avx.ConvertToVector128Single(sum * Vector256.Create(0.25)).Store(y);
                break;
            }
            case Pool2dPass.MaxBackward:
            case Pool2dPass.MaxReluBackward:
            {
                var d = Vector128.Load(dy) + Vector128<float>.Zero;
                var m = e0;
                var s1 = Vector128.GreaterThan(o0, m); m = Vector128.ConditionalSelect(s1, o0, m);
                var s2 = Vector128.GreaterThan(e1, m); m = Vector128.ConditionalSelect(s2, e1, m);
                var s3 = Vector128.GreaterThan(o1, m);
                if (pass == Pool2dPass.MaxReluBackward)
                    d *= Vector128.GreaterThan(Vector128.ConditionalSelect(s3, o1, m), Vector128<float>.Zero) & Vector128<float>.One;
                var p3 = s3;
                var p2 = Vector128.AndNot(s2, s3);
                var p1 = Vector128.AndNot(Vector128.AndNot(s1, s2), s3);
                var p0 = ~(s1 | s2 | s3);
                var g0 = d & p0; var g1 = d & p1; var g2 = d & p2; var g3 = d & p3;
                Sse.UnpackLow(g0, g1).Store(d0); Sse.UnpackHigh(g0, g1).Store(d0 + 4);
                Sse.UnpackLow(g2, g3).Store(d1); Sse.UnpackHigh(g2, g3).Store(d1 + 4);
                break;
            }
            default:
            {
                var s = Vector128.Load(dy) / Vector128.Create(4f) + Vector128<float>.Zero;
                var lo = Sse.UnpackLow(s, s); var hi = Sse.UnpackHigh(s, s);
                lo.Store(d0); hi.Store(d0 + 4); lo.Store(d1); hi.Store(d1 + 4);
                break;
            }
        }
    }

    /// <summary>One plane of 2×2/2 pooling; backward overwrites dx (input rows and columns no window covers get 0).</summary>
    private static void Plane2x2(float* x, float* y, float* dy, float* dx, in Pool2dGeometry g, Pool2dPass pass)
    {
        bool backward = pass >= Pool2dPass.MaxBackward;
        if (backward && (g.W != 2 * g.Q || g.H != 2 * g.P)) new Span<float>(dx, g.H * g.W).Clear();
        for (int p = 0; p < g.P; p++)
        {
            long row = (long)2 * p * g.W;
            float* r0 = x + row, r1 = r0 + g.W;
            float* d0 = backward ? dx + row : null, d1 = backward ? d0 + g.W : null;
            Row2x2(r0, r1, backward ? null : y + (long)p * g.Q, backward ? dy + (long)p * g.Q : null, d0, d1, g.Q, pass);
        }
    }
}
