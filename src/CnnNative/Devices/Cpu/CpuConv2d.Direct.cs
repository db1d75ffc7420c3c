using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// Stride-1 convolution computed directly, without lowering: forward and backward filter for one input channel
/// (the first layer of an image network), forward for a few channels and backward filter for any channel count on
/// larger images (see <see cref="CpuConv2dPlanner"/>). Each image
/// is copied once into zero-padded planes of Hp × Wp (Wp = W + 2·padW) and the output is computed on "wide"
/// positions j = p·Wp + q, where the convolution is a 1-D one: y[k][j] = Σ_(c,r,s) w[k,c,r,s] · xpad[j + off(c,r,s)]
/// with off = c·Hp·Wp + r·Wp + s. Columns q ≥ Q of a wide row are never stored (forward) or carry dy = 0 (backward
/// filter), so contiguous vectors run straight across row ends.
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>
{
    /// <summary>Filters computed together (forward): 4 × 3 vectors = 12 ymm accumulators, or 8 × 3 = 24 zmm.</summary>
    private static int DirectKb => TVec.Count == 16 ? 8 : 4;
    /// <summary>Filters per backward-filter step (4 filters × 3 taps = 12 accumulators), at either width.</summary>
    private const int DirectFilterKb = 4;
    /// <summary>Wide positions per forward step: 3 vectors (24 or 48).</summary>
    private static int DirectJb => 3 * TVec.Count;
    /// <summary>Taps per backward-filter step: 4 filters × 3 taps = 12 accumulators.</summary>
    private const int DirectTb = 3;
    /// <summary>Filters per forward task (a multiple of <see cref="DirectKb"/>), so one image splits over the pool.</summary>
    private const int DirectKPerTask = 16;

    private struct DirectJob
    {
        public Conv2dGeometry G;
        public float* X, Bias, Y, Dy, PackedW, Partials, Scratch;
        public int* Offsets;
        public long WorkerStride;
        public int Wp, Hp, Wide, KPad, KTasks, Slots, Taps, TapsPad;
        /// <summary>Forward: ReLU fused into the store.</summary>
        public bool Relu;
        /// <summary>C padded planes of Hp·Wp, then zeros for what the last vectors read past the end.</summary>
        public readonly long PlaneFloats => ScratchMemory.Align((long)G.C * Hp * Wp + Wp + G.S + 2 * DirectJb);
    }

    /// <summary>Floats per vector.</summary>
    private static int L => TVec.Count;

    private static DirectJob DirectSetup(in Conv2dGeometry g)
    {
        var m = new DirectJob { G = g, Wp = g.W + 2 * g.PadW, Hp = g.H + 2 * g.PadH, KPad = CpuGemm.RoundUp(g.K, DirectKb) };
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

    // ------------------------------------------------------------------ forward

    private void DirectForward(in Conv2dGeometry g, float* x, float* w, float* bias, float* y, bool relu, DeviceBuffer filters)
    {
        var m = DirectSetup(g);
        m.X = x; m.Bias = bias; m.Y = y; m.Relu = relu;
        int* offsets = stackalloc int[m.TapsPad];
        TapOffsets(ref m, offsets);
        // Weights as [k block][tap][4], zero rows past K.
        m.PackedW = PackedFilters(filters, PackedRole.DirectFilters, g, (long)m.KPad * m.Taps, out bool pack);
        if (pack)
            for (int k = 0; k < m.KPad; k++)
                for (int t = 0; t < m.Taps; t++)
                    m.PackedW[(long)(k / DirectKb) * m.Taps * DirectKb + t * DirectKb + k % DirectKb] = k < g.K ? w[(long)k * m.Taps + t] : 0f;
        m.KTasks = (m.KPad + DirectKPerTask - 1) / DirectKPerTask;
        m.WorkerStride = m.PlaneFloats + ScratchMemory.Align((long)DirectKb * CpuGemm.RoundUp(m.Wide, DirectJb));
        m.Scratch = perWorker.Ensure(m.WorkerStride * pool.Threads);
        For(g.N * m.KTasks, &DirectForwardTask, &m, Parallel((long)g.K * m.Taps * g.P * g.Q * g.N));
    }

    [SkipLocalsInit]
    private static void DirectForwardTask(void* context, int task, int worker)
    {
        var m = (DirectJob*)context;
        ref readonly var g = ref m->G;
        int n = task / m->KTasks, k0 = task % m->KTasks * DirectKPerTask, k1 = Math.Min(m->KPad, k0 + DirectKPerTask);
        float* plane = m->Scratch + worker * m->WorkerStride;
        float* wide = plane + m->PlaneFloats;
        int widePad = CpuGemm.RoundUp(m->Wide, DirectJb);
        PadImage(ref *m, n, plane);
        int pq = g.P * g.Q;
        for (int kb = k0; kb < k1; kb += DirectKb)
        {
            DirectForwardBlock(plane, m->PackedW + (long)kb * m->Taps, m->Offsets, m->Taps, wide, widePad);
            for (int i = 0; i < DirectKb && kb + i < g.K; i++)
            {
                int k = kb + i;
                float b = m->Bias == null ? 0f : m->Bias[k];
                float* dst = m->Y + ((long)n * g.K + k) * pq;
                float* src = wide + (long)i * widePad;
                var vb = TVec.Broadcast(b);
                bool relu = m->Relu;
                for (int p = 0; p < g.P; p++, dst += g.Q, src += m->Wp)
                {
                    int q = 0;
                    for (; q <= g.Q - L; q += L) TVec.Store(Epilogue(TVec.Load(src + q) + vb, relu), dst + q);
                    // The tail as one vector overlapping the last (the same values again), not up to 15 scalars.
                    if (q < g.Q && g.Q >= L) TVec.Store(Epilogue(TVec.Load(src + g.Q - L) + vb, relu), dst + g.Q - L);
                    else for (; q < g.Q; q++) dst[q] = Epilogue(src[q] + b, relu);
                }
            }
        }
    }

    /// <summary>
    /// wide[i][j] = Σ_t w[t][i] · plane[j + off[t]] for DirectKb filters i (4 × 3 ymm or 8 × 3 zmm accumulators: the
    /// wider vectors' loads cross cache lines at any offset, so each feeds twice the FMAs), j in [0, widePad), 3
    /// vectors at a time.
    /// </summary>
    private static void DirectForwardBlock(float* plane, float* wk, int* off, int taps, float* wide, int widePad)
    {
        for (int j = 0; j < widePad; j += DirectJb)
        {
            TVec a00 = TVec.Zero, a01 = TVec.Zero, a02 = TVec.Zero, a10 = TVec.Zero, a11 = TVec.Zero, a12 = TVec.Zero, a20 = TVec.Zero, a21 = TVec.Zero, a22 = TVec.Zero, a30 = TVec.Zero, a31 = TVec.Zero, a32 = TVec.Zero, a40 = TVec.Zero, a41 = TVec.Zero, a42 = TVec.Zero, a50 = TVec.Zero, a51 = TVec.Zero, a52 = TVec.Zero, a60 = TVec.Zero, a61 = TVec.Zero, a62 = TVec.Zero, a70 = TVec.Zero, a71 = TVec.Zero, a72 = TVec.Zero;
            float* src = plane + j;
            float* wt = wk;
            for (int t = 0; t < taps; t++, wt += DirectKb)
            {
                float* s = src + off[t];
                var x0 = TVec.Load(s); var x1 = TVec.Load(s + L); var x2 = TVec.Load(s + 2 * L);
                TVec w;
                w = TVec.Broadcast(wt[0]); a00 = Fmadd(w, x0, a00); a01 = Fmadd(w, x1, a01); a02 = Fmadd(w, x2, a02);
                w = TVec.Broadcast(wt[1]); a10 = Fmadd(w, x0, a10); a11 = Fmadd(w, x1, a11); a12 = Fmadd(w, x2, a12);
                w = TVec.Broadcast(wt[2]); a20 = Fmadd(w, x0, a20); a21 = Fmadd(w, x1, a21); a22 = Fmadd(w, x2, a22);
                w = TVec.Broadcast(wt[3]); a30 = Fmadd(w, x0, a30); a31 = Fmadd(w, x1, a31); a32 = Fmadd(w, x2, a32);
                if (DirectKb > 4) { w = TVec.Broadcast(wt[4]); a40 = Fmadd(w, x0, a40); a41 = Fmadd(w, x1, a41); a42 = Fmadd(w, x2, a42); }
                if (DirectKb > 5) { w = TVec.Broadcast(wt[5]); a50 = Fmadd(w, x0, a50); a51 = Fmadd(w, x1, a51); a52 = Fmadd(w, x2, a52); }
                if (DirectKb > 6) { w = TVec.Broadcast(wt[6]); a60 = Fmadd(w, x0, a60); a61 = Fmadd(w, x1, a61); a62 = Fmadd(w, x2, a62); }
                if (DirectKb > 7) { w = TVec.Broadcast(wt[7]); a70 = Fmadd(w, x0, a70); a71 = Fmadd(w, x1, a71); a72 = Fmadd(w, x2, a72); }
            }
            float* d = wide + j;
            TVec.Store(a00, d); TVec.Store(a01, d + L); TVec.Store(a02, d + 2 * L);
            d += widePad; TVec.Store(a10, d); TVec.Store(a11, d + L); TVec.Store(a12, d + 2 * L);
            d += widePad; TVec.Store(a20, d); TVec.Store(a21, d + L); TVec.Store(a22, d + 2 * L);
            d += widePad; TVec.Store(a30, d); TVec.Store(a31, d + L); TVec.Store(a32, d + 2 * L);
            if (DirectKb > 4) { d += widePad; TVec.Store(a40, d); TVec.Store(a41, d + L); TVec.Store(a42, d + 2 * L); }
            if (DirectKb > 5) { d += widePad; TVec.Store(a50, d); TVec.Store(a51, d + L); TVec.Store(a52, d + 2 * L); }
            if (DirectKb > 6) { d += widePad; TVec.Store(a60, d); TVec.Store(a61, d + L); TVec.Store(a62, d + 2 * L); }
            if (DirectKb > 7) { d += widePad; TVec.Store(a70, d); TVec.Store(a71, d + L); TVec.Store(a72, d + 2 * L); }
        }
    }

    // ------------------------------------------------------------------ backward filter

    private void DirectBackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db)
    {
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
        if (db != null) For((g.K + 15) / 16, &BiasGradientTask, &job, pool.Threads > 1);
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
                    DirectFilterBlock(plane, dyw + (long)kb * widePad, widePad, m->Offsets + tb, sums);
                    for (int i = 0; i < DirectFilterKb && kb + i < g.K; i++)
                        for (int t = 0; t < DirectTb && tb + t < m->Taps; t++)
                            partial[(long)(kb + i) * m->Taps + tb + t] += sums[i * DirectTb + t];
                }
        }
    }

    /// <summary>sums[i·3 + t] = Σ_j dyw[i][j] · plane[j + off[t]] for 4 filters i and 3 taps t.</summary>
    private static void DirectFilterBlock(float* plane, float* dyw, int widePad, int* off, float* sums)
    {
        TVec a00 = TVec.Zero, a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
        TVec a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
        float* x0p = plane + off[0], x1p = plane + off[1], x2p = plane + off[2];
        float* d0p = dyw, d1p = dyw + widePad, d2p = dyw + 2L * widePad, d3p = dyw + 3L * widePad;
        for (int j = 0; j < widePad; j += L)
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
