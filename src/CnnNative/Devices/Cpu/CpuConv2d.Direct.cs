using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
internal sealed unsafe partial class CpuConv2d
{
    /// <summary>Filters computed together: 4 filters × 24 wide positions = 12 accumulators (forward).</summary>
    private const int DirectKb = 4;
    /// <summary>Wide positions per forward step: 3 vectors.</summary>
    private const int DirectJb = 24;
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
        /// <summary>C padded planes of Hp·Wp, then zeros for what the last vectors read past the end.</summary>
        public readonly long PlaneFloats => ScratchMemory.Align((long)G.C * Hp * Wp + Wp + G.S + 2 * DirectJb);
    }

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
    private static Vector256<float> Fmadd(Vector256<float> a, Vector256<float> b, Vector256<float> c)
        => CpuGemmMicroKernel.UsesFma ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    // ------------------------------------------------------------------ forward

    private void DirectForward(in Conv2dGeometry g, float* x, float* w, float* bias, float* y)
    {
        var m = DirectSetup(g);
        m.X = x; m.Bias = bias; m.Y = y;
        int* offsets = stackalloc int[m.TapsPad];
        TapOffsets(ref m, offsets);
        // Weights as [k block][tap][4], zero rows past K.
        m.PackedW = shared.Ensure((long)m.KPad * m.Taps);
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
                var vb = Vector256.Create(b);
                for (int p = 0; p < g.P; p++, dst += g.Q, src += m->Wp)
                {
                    int q = 0;
                    for (; q <= g.Q - 8; q += 8) (Vector256.Load(src + q) + vb).Store(dst + q);
                    for (; q < g.Q; q++) dst[q] = src[q] + b;
                }
            }
        }
    }

    /// <summary>wide[i][j] = Σ_t w[t][i] · plane[j + off[t]] for 4 filters i, j in [0, widePad), 24 at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DirectForwardBlock(float* plane, float* wk, int* off, int taps, float* wide, int widePad)
    {
        for (int j = 0; j < widePad; j += DirectJb)
        {
            Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
            Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
            float* src = plane + j;
            float* wt = wk;
            for (int t = 0; t < taps; t++, wt += DirectKb)
            {
                float* s = src + off[t];
                var x0 = Vector256.Load(s); var x1 = Vector256.Load(s + 8); var x2 = Vector256.Load(s + 16);
                var w0 = Vector256.Create(wt[0]);
                a00 = Fmadd(w0, x0, a00); a01 = Fmadd(w0, x1, a01); a02 = Fmadd(w0, x2, a02);
                var w1 = Vector256.Create(wt[1]);
                a10 = Fmadd(w1, x0, a10); a11 = Fmadd(w1, x1, a11); a12 = Fmadd(w1, x2, a12);
                var w2 = Vector256.Create(wt[2]);
                a20 = Fmadd(w2, x0, a20); a21 = Fmadd(w2, x1, a21); a22 = Fmadd(w2, x2, a22);
                var w3 = Vector256.Create(wt[3]);
                a30 = Fmadd(w3, x0, a30); a31 = Fmadd(w3, x1, a31); a32 = Fmadd(w3, x2, a32);
            }
            float* d = wide + j;
            a00.Store(d); a01.Store(d + 8); a02.Store(d + 16); d += widePad;
            a10.Store(d); a11.Store(d + 8); a12.Store(d + 16); d += widePad;
            a20.Store(d); a21.Store(d + 8); a22.Store(d + 16); d += widePad;
            a30.Store(d); a31.Store(d + 8); a32.Store(d + 16);
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
        int widePad = CpuGemm.RoundUp(m.Wide, 8);
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
        int widePad = CpuGemm.RoundUp(m->Wide, 8), pq = g.P * g.Q;
        float* partial = m->Partials + (long)slot * g.K * m->Taps;
        new Span<float>(partial, g.K * m->Taps).Clear();
        // dy rows in the wide layout: zero in columns q ≥ Q, past the end and in the padding filters.
        new Span<float>(dyw, (int)((long)m->KPad * widePad)).Clear();
        float* sums = stackalloc float[DirectKb * DirectTb];
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
            for (int kb = 0; kb < m->KPad; kb += DirectKb)
                for (int tb = 0; tb < m->TapsPad; tb += DirectTb)
                {
                    DirectFilterBlock(plane, dyw + (long)kb * widePad, widePad, m->Offsets + tb, sums);
                    for (int i = 0; i < DirectKb && kb + i < g.K; i++)
                        for (int t = 0; t < DirectTb && tb + t < m->Taps; t++)
                            partial[(long)(kb + i) * m->Taps + tb + t] += sums[i * DirectTb + t];
                }
        }
    }

    /// <summary>sums[i·3 + t] = Σ_j dyw[i][j] · plane[j + off[t]] for 4 filters i and 3 taps t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DirectFilterBlock(float* plane, float* dyw, int widePad, int* off, float* sums)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        float* x0p = plane + off[0], x1p = plane + off[1], x2p = plane + off[2];
        float* d0p = dyw, d1p = dyw + widePad, d2p = dyw + 2L * widePad, d3p = dyw + 3L * widePad;
        for (int j = 0; j < widePad; j += 8)
        {
            var x0 = Vector256.Load(x0p + j); var x1 = Vector256.Load(x1p + j); var x2 = Vector256.Load(x2p + j);
            var d = Vector256.Load(d0p + j);
            a00 = Fmadd(d, x0, a00); a01 = Fmadd(d, x1, a01); a02 = Fmadd(d, x2, a02);
            d = Vector256.Load(d1p + j);
            a10 = Fmadd(d, x0, a10); a11 = Fmadd(d, x1, a11); a12 = Fmadd(d, x2, a12);
            d = Vector256.Load(d2p + j);
            a20 = Fmadd(d, x0, a20); a21 = Fmadd(d, x1, a21); a22 = Fmadd(d, x2, a22);
            d = Vector256.Load(d3p + j);
            a30 = Fmadd(d, x0, a30); a31 = Fmadd(d, x1, a31); a32 = Fmadd(d, x2, a32);
        }
        sums[0] = Vector256.Sum(a00); sums[1] = Vector256.Sum(a01); sums[2] = Vector256.Sum(a02);
        sums[3] = Vector256.Sum(a10); sums[4] = Vector256.Sum(a11); sums[5] = Vector256.Sum(a12);
        sums[6] = Vector256.Sum(a20); sums[7] = Vector256.Sum(a21); sums[8] = Vector256.Sum(a22);
        sums[9] = Vector256.Sum(a30); sums[10] = Vector256.Sum(a31); sums[11] = Vector256.Sum(a32);
    }
}
