using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// Stride-1 backward filter computed directly, without lowering, for one input channel (the first layer of an image
/// network) and for any channel count on larger images (see <see cref="CpuConv2dPlanner"/>); the direct forward is in
/// CpuConv2d.DenseDirect.cs. Each image is copied once into zero-padded planes of Hp × Wp (Wp = W + 2·padW) and the
/// sums run over "wide" positions j = p·Wp + q, where the convolution is a 1-D one:
/// y[k][j] = Σ_(c,r,s) w[k,c,r,s] · xpad[j + off(c,r,s)] with off = c·Hp·Wp + r·Wp + s. Columns q ≥ Q of a wide row
/// carry dy = 0, so contiguous vectors run straight across row ends. The planes and tap offsets also serve the
/// implicit GEMM (CpuConv2d.Implicit.cs).
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>
{
    /// <summary>Filters per backward-filter step (4 filters × 3 taps = 12 accumulators), at either width.</summary>
    private const int DirectFilterKb = 4;
    /// <summary>Zeros kept after the padded planes for the last vectors' reads: 3 vectors (24 or 48).</summary>
    private static int DirectJb => 3 * TVec.Count;
    /// <summary>Taps per backward-filter step: 4 filters × 3 taps = 12 accumulators.</summary>
    private const int DirectTb = 3;

    private struct DirectJob
    {
        public Conv2dGeometry G;
        public float* X, Dy, Partials, Scratch;
        public int* Offsets;
        public long WorkerStride;
        public int Wp, Hp, Wide, KPad, Slots, Taps, TapsPad;
        /// <summary>C padded planes of Hp·Wp, then zeros for what the last vectors read past the end.</summary>
        public readonly long PlaneFloats => ScratchMemory.Align((long)G.C * Hp * Wp + Wp + G.S + 2 * DirectJb);
    }

    /// <summary>Floats per vector.</summary>
    private static int L => TVec.Count;

    private static DirectJob DirectSetup(in Conv2dGeometry g)
    {
        var m = new DirectJob { G = g, Wp = g.W + 2 * g.PadW, Hp = g.H + 2 * g.PadH, KPad = CpuGemm.RoundUp(g.K, DirectFilterKb) };
        m.Wide = g.P * m.Wp;
        m.Taps = g.C * g.R * g.S;
        m.TapsPad = CpuGemm.RoundUp(m.Taps, DirectTb);
        return m;
    }

    /// <summary>Tap offsets c·Hp·Wp + r·Wp + s (tap t = (c·R + r)·S + s, the weights' order); padding taps (backward filter) read offset 0 and are discarded.</summary>
    private static void TapOffsets(ref DirectJob m, int* offsets)
    {
        int rs = m.G.R * m.G.S;
        for (int t = 0; t < m.TapsPad; t++)
            offsets[t] = t < m.Taps ? t / rs * m.Hp * m.Wp + t % rs / m.G.S * m.Wp + t % m.G.S : 0;
        m.Offsets = offsets;
    }

    /// <summary>Image n, zero-padded, into C planes of Hp·Wp followed by zeros (what the last vectors read past the end).</summary>
    private static void PadImage(ref DirectJob m, int n, float* plane)
    {
        ref readonly var g = ref m.G;
        new Span<float>(plane, (int)m.PlaneFloats).Clear();
        float* src = m.X + (long)n * g.C * g.H * g.W;
        for (int c = 0; c < g.C; c++)
        {
            float* dst = plane + (long)c * m.Hp * m.Wp;
            for (int h = 0; h < g.H; h++, src += g.W)
                Buffer.MemoryCopy(src, dst + (long)(h + g.PadH) * m.Wp + g.PadW, g.W * sizeof(float), g.W * sizeof(float));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Fmadd(TVec a, TVec b, TVec c) => TVec.MulAdd(a, b, c);

    /// <summary>The fused activation of a forward's store: ReLU as the activation op computes it (NaN gives 0), or nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Epilogue(TVec v, bool relu) => relu ? TVec.Relu(v) : v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Epilogue(float v, bool relu) => relu && !(v > 0) ? 0f : v;

    // ------------------------------------------------------------------ backward filter

    private void DirectBackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db)
    {
        if ((paths & CpuPaths.DenseDirectFilter) != 0)
        {
            DenseBackwardFilter(g, x, dy, dw, db);
            return;
        }
        var m = DirectSetup(g);
        m.X = x; m.Dy = dy;
        int* offsets = stackalloc int[m.TapsPad];
        TapOffsets(ref m, offsets);
        // Slots depend on the batch only, as on the lowering path, so 1 and 2 threads give identical bits.
        m.Slots = Math.Min(g.N, Math.Max(FilterSlots, pool.Threads));
        long filterFloats = (long)g.K * m.Taps;
        m.Partials = shared.Ensure(ScratchMemory.Align(m.Slots * filterFloats));
        int widePad = CpuGemm.RoundUp(m.Wide, L);
        m.WorkerStride = m.PlaneFloats + ScratchMemory.Align((long)m.KPad * widePad);
        m.Scratch = perWorker.Ensure(m.WorkerStride * pool.Threads);
        For(m.Slots, &DirectFilterSlotTask, &m, pool.Threads > 1 && m.Slots > 1);

        var job = new Job { G = g, Dy = dy, Dw = dw, Db = db, Partials = m.Partials, Slots = m.Slots };
        For((int)((filterFloats + ParallelRange.Chunk - 1) / ParallelRange.Chunk), &AddPartialsTask, &job, pool.Threads > 1);
        if (db != null) BiasGradient(g, dy, db);
    }

    [SkipLocalsInit]
    private static void DirectFilterSlotTask(void* context, int slot, int worker)
    {
        var m = (DirectJob*)context;
        ref readonly var g = ref m->G;
        float* plane = m->Scratch + worker * m->WorkerStride;
        float* dyw = plane + m->PlaneFloats;
        int widePad = CpuGemm.RoundUp(m->Wide, L), pq = g.P * g.Q;
        float* partial = m->Partials + (long)slot * g.K * m->Taps;
        new Span<float>(partial, g.K * m->Taps).Clear();
        // dy rows in the wide layout: zero in columns q ≥ Q, past the end and in the padding filters.
        new Span<float>(dyw, (int)((long)m->KPad * widePad)).Clear();
        float* sums = stackalloc float[DirectFilterKb * DirectTb];
        int n0 = (int)((long)slot * g.N / m->Slots), n1 = (int)((long)(slot + 1) * g.N / m->Slots);
        for (int n = n0; n < n1; n++)
        {
            PadImage(ref *m, n, plane);
            for (int k = 0; k < g.K; k++)
            {
                float* src = m->Dy + ((long)n * g.K + k) * pq;
                float* dst = dyw + (long)k * widePad;
                for (int p = 0; p < g.P; p++)
                    Buffer.MemoryCopy(src + (long)p * g.Q, dst + (long)p * m->Wp, g.Q * sizeof(float), g.Q * sizeof(float));
            }
            for (int kb = 0; kb < m->KPad; kb += DirectFilterKb)
                for (int tb = 0; tb < m->TapsPad; tb += DirectTb)
                {
                    DirectFilterBlock(plane, dyw + (long)kb * widePad, widePad, DirectFilterKb, widePad, m->Offsets + tb, sums);
                    for (int i = 0; i < DirectFilterKb && kb + i < g.K; i++)
                        for (int t = 0; t < DirectTb && tb + t < m->Taps; t++)
                            partial[(long)(kb + i) * m->Taps + tb + t] += sums[i * DirectTb + t];
                }
        }
    }

    /// <summary>
    /// sums[i·3 + t] = Σ_j dy[i][j] · plane[j + off[t]] over j &lt; <paramref name="length"/> (whole vectors) for 4
    /// filters i (rows <paramref name="ld"/> apart; past the first <paramref name="rows"/>, the last valid row is read
    /// again and its sums are to be discarded) and 3 taps t.
    /// </summary>
    private static void DirectFilterBlock(float* plane, float* dyw, long ld, int rows, int length, int* off, float* sums)
    {
        TVec a00 = TVec.Zero, a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
        TVec a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
        float* x0p = plane + off[0], x1p = plane + off[1], x2p = plane + off[2];
        float* d0p = dyw, d1p = dyw + Math.Min(1, rows - 1) * ld, d2p = dyw + Math.Min(2, rows - 1) * ld, d3p = dyw + Math.Min(3, rows - 1) * ld;
        for (int j = 0; j < length; j += L)
        {
            var x0 = TVec.Load(x0p + j); var x1 = TVec.Load(x1p + j); var x2 = TVec.Load(x2p + j);
            var d = TVec.Load(d0p + j);
            a00 = Fmadd(d, x0, a00); a01 = Fmadd(d, x1, a01); a02 = Fmadd(d, x2, a02);
            d = TVec.Load(d1p + j);
            a10 = Fmadd(d, x0, a10); a11 = Fmadd(d, x1, a11); a12 = Fmadd(d, x2, a12);
            d = TVec.Load(d2p + j);
            a20 = Fmadd(d, x0, a20); a21 = Fmadd(d, x1, a21); a22 = Fmadd(d, x2, a22);
            d = TVec.Load(d3p + j);
            a30 = Fmadd(d, x0, a30); a31 = Fmadd(d, x1, a31); a32 = Fmadd(d, x2, a32);
        }
        sums[0] = TVec.Sum(a00); sums[1] = TVec.Sum(a01); sums[2] = TVec.Sum(a02);
        sums[3] = TVec.Sum(a10); sums[4] = TVec.Sum(a11); sums[5] = TVec.Sum(a12);
        sums[6] = TVec.Sum(a20); sums[7] = TVec.Sum(a21); sums[8] = TVec.Sum(a22);
        sums[9] = TVec.Sum(a30); sums[10] = TVec.Sum(a31); sums[11] = TVec.Sum(a32);
    }
}
