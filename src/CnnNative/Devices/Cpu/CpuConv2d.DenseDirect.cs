using System.Runtime.CompilerServices;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The direct forward (one input channel, or a few on larger images; see <see cref="CpuConv2dPlanner"/>) on dense
/// output positions j = p·Q + q, the order of y itself. Each image is copied once into C·S column-shifted planes
/// of Hp × Q, xs[c][s][h][q] = xpad[c][h][q + s], in which tap (c, r, s) of position j is xs[c][s][j + r·Q]: the
/// convolution is a 1-D one, y[k][j] = Σ_t w[k][t] · xs[j + off(t)] with off(c, r, s) = (c·S + s)·Hp·Q + r·Q, so
/// contiguous vectors of positions run straight across row ends and no position is computed for nothing (the
/// wide rows of a once-padded image wasted (S−1)/Wp of the work, 12.5 % on 28×28 5×5, and were copied to y after).
/// A tile is a block of filters × 3 or 4 vectors of positions (filters broadcast, positions loaded), its sums
/// stored straight into y with the bias and the fused ReLU; the last tile of an image overlaps the one before
/// (the same sums again) rather than running past the image.
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>
{
    /// <summary>Filters per task (a multiple of the tile's), so a small batch still splits over the pool.</summary>
    private const int DenseFiltersPerTask = 16;

    /// <summary>Most positions of one tile (4 zmm), and so the zeros kept after the planes for a tile past a small image.</summary>
    private const int DenseMaxTilePositions = 64;

    private struct DenseJob
    {
        public Conv2dGeometry G;
        public float* X, Bias, Y, PackedW, Scratch;
        public int* Offsets;
        public long PlanesFloats;
        public int Taps, Hp, FilterBlock, KPad, FiltersPerTask, KTasks, TilePositions, Tiles, TilesPerChunk, Chunks;
        public bool Relu;
    }

    /// <summary>The tile's filters for K filters: 6 where that pads K less than the width's 8 or 4 (K = 6, 12, 18).</summary>
    private static int DenseFilterBlock(int k) => CpuGemm.RoundUp(k, 6) < CpuGemm.RoundUp(k, L / 2) ? 6 : L / 2;

    /// <summary>Vectors of positions per tile: 24 zmm or 12 ymm accumulators in all (3 × 8, 4 × 6; 3 × 4, 2 × 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DenseVectors<TF>() where TF : struct, IDirectFilterBlock => 3 * TVec.Count / 2 / TF.Filters;

    private void DirectForward(in Conv2dGeometry g, float* x, float* w, float* bias, float* y, bool relu, DeviceBuffer filters)
    {
        var m = new DenseJob { G = g, X = x, Bias = bias, Y = y, Relu = relu, Taps = g.C * g.R * g.S, Hp = g.H + 2 * g.PadH };
        long planeFloats = (long)m.Hp * g.Q;
        int* offsets = stackalloc int[m.Taps];
        for (int t = 0; t < m.Taps; t++)
        {
            int c = t / (g.R * g.S), r = t / g.S % g.R, s = t % g.S;
            offsets[t] = (int)((c * g.S + s) * planeFloats + r * g.Q);
        }
        m.Offsets = offsets;
        m.FilterBlock = DenseFilterBlock(g.K);
        m.KPad = CpuGemm.RoundUp(g.K, m.FilterBlock);
        // Weights as [filter block][tap][filter in block], zero past K.
        m.PackedW = PackedFilters(filters, PackedRole.DirectFilters, g, (long)m.KPad * m.Taps, out bool pack);
        if (pack)
            for (int k = 0; k < m.KPad; k++)
                for (int t = 0; t < m.Taps; t++)
                    m.PackedW[(long)(k / m.FilterBlock) * m.Taps * m.FilterBlock + t * m.FilterBlock + k % m.FilterBlock] = k < g.K ? w[(long)k * m.Taps + t] : 0f;
        m.FiltersPerTask = CpuGemm.RoundUp(DenseFiltersPerTask, m.FilterBlock);
        // With an image per thread or more, a task is a whole image (its planes built once); else filters are split.
        m.KTasks = g.N >= pool.Threads ? 1 : (m.KPad + m.FiltersPerTask - 1) / m.FiltersPerTask;
        if (m.KTasks == 1) m.FiltersPerTask = m.KPad;
        m.TilePositions = 3 * L / 2 / m.FilterBlock * L;
        int pq = g.P * g.Q;
        m.Tiles = (pq + m.TilePositions - 1) / m.TilePositions;
        // Fewer (image, filter group) tasks than threads (batch 1): the positions are split too.
        int tasks = g.N * m.KTasks;
        m.Chunks = tasks >= pool.Threads ? 1 : Math.Min(m.Tiles, (pool.Threads + tasks - 1) / tasks);
        m.TilesPerChunk = (m.Tiles + m.Chunks - 1) / m.Chunks;
        m.Chunks = (m.Tiles + m.TilesPerChunk - 1) / m.TilesPerChunk;
        m.PlanesFloats = ScratchMemory.Align(g.C * g.S * planeFloats + DenseMaxTilePositions);
        m.Scratch = perWorker.Ensure(m.PlanesFloats * pool.Threads);
        For(tasks * m.Chunks, &DenseForwardTask, &m, Parallel((long)g.K * m.Taps * pq * g.N));
    }

    /// <summary>Image n as C·S column-shifted planes xs[c][s][h][q] = xpad[c][h][q + s], then zeros (see the class summary).</summary>
    private static void ShiftedPlanes(ref DenseJob m, int n, float* planes)
    {
        ref readonly var g = ref m.G;
        long planeFloats = (long)m.Hp * g.Q, interiorFloats = (long)g.H * g.Q;
        for (int c = 0; c < g.C; c++)
        {
            float* image = m.X + ((long)n * g.C + c) * g.H * g.W;
            for (int s = 0; s < g.S; s++)
            {
                float* plane = planes + (c * g.S + s) * planeFloats, interior = plane + (long)g.PadH * g.Q;
                new Span<float>(plane, g.PadH * g.Q).Clear();
                new Span<float>(interior + interiorFloats, (int)(planeFloats - interiorFloats - (long)g.PadH * g.Q)).Clear();
                int shift = s - g.PadW; // column q reads input column q + shift
                if (g.Q == g.W)
                    ShiftedInterior(image, interior, g.H, g.W, shift);
                else
                {
                    new Span<float>(interior, (int)interiorFloats).Clear();
                    int q0 = Math.Max(0, -shift), q1 = Math.Min(g.Q, g.W - shift);
                    if (q1 <= q0) continue;
                    long bytes = (q1 - q0) * sizeof(float);
                    float* dst = interior + q0, src = image + q0 + shift;
                    for (int h = 0; h < g.H; h++, dst += g.Q, src += g.W) Buffer.MemoryCopy(src, dst, bytes, bytes);
                }
            }
        }
        new Span<float>(planes + g.C * g.S * planeFloats, DenseMaxTilePositions).Clear();
    }

    /// <summary>
    /// dst[h][q] = image[h][q + shift], 0 where q + shift is outside [0, W), for rows as wide as the image's (a
    /// same-padded layer): one copy of the whole image, offset by the shift, then the columns that came from a
    /// neighbouring row zeroed.
    /// </summary>
    private static void ShiftedInterior(float* image, float* dst, int h, int w, int shift)
    {
        long total = (long)h * w, first = Math.Max(0, -shift), end = total - Math.Max(0, shift);
        new Span<float>(image + first + shift, (int)(end - first)).CopyTo(new Span<float>(dst + first, (int)(end - first)));
        new Span<float>(dst, (int)first).Clear();
        new Span<float>(dst + end, (int)(total - end)).Clear();
        int q0 = shift < 0 ? 0 : w - shift, q1 = shift < 0 ? -shift : w;
        for (long row = 0; row < total; row += w)
            for (int q = Math.Max(0, q0); q < Math.Min(w, q1); q++) dst[row + q] = 0f;
    }

    [SkipLocalsInit]
    private static void DenseForwardTask(void* context, int task, int worker)
    {
        var m = (DenseJob*)context;
        ref readonly var g = ref m->G;
        int chunk = task % m->Chunks, kTask = task / m->Chunks % m->KTasks, n = task / m->Chunks / m->KTasks;
        float* planes = m->Scratch + worker * m->PlanesFloats;
        ShiftedPlanes(ref *m, n, planes);
        int pq = g.P * g.Q, tp = m->TilePositions;
        int k0 = kTask * m->FiltersPerTask, k1 = Math.Min(m->KPad, k0 + m->FiltersPerTask);
        int t0 = chunk * m->TilesPerChunk, t1 = Math.Min(m->Tiles, t0 + m->TilesPerChunk);
        // An image smaller than a tile: the tile is computed into this block, then its positions copied.
        float* small = stackalloc float[pq < tp ? 8 * DenseMaxTilePositions : 1];
        for (int kb = k0; kb < k1; kb += m->FilterBlock)
        {
            float* wk = m->PackedW + (long)kb * m->Taps;
            float* bias = m->Bias == null ? null : m->Bias + kb;
            int filters = Math.Min(m->FilterBlock, g.K - kb);
            float* yk = m->Y + ((long)n * g.K + kb) * pq;
            for (int tile = t0; tile < t1; tile++)
            {
                if (pq < tp)
                {
                    DenseTile(m->FilterBlock, planes, wk, m->Offsets, m->Taps, small, tp, bias, filters, m->Relu);
                    for (int i = 0; i < filters; i++)
                        new Span<float>(small + i * tp, pq).CopyTo(new Span<float>(yk + (long)i * pq, pq));
                    continue;
                }
                int j = Math.Min(tile * tp, pq - tp);
                DenseTile(m->FilterBlock, planes + j, wk, m->Offsets, m->Taps, yk + j, pq, bias, filters, m->Relu);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DenseTile(int filterBlock, float* src, float* wk, int* off, int taps, float* y, long ldy, float* bias, int filters, bool relu)
    {
        if (filterBlock == 6) DenseTile<DirectFilters6>(src, wk, off, taps, y, ldy, bias, filters, relu);
        else if (TVec.Count == 16) DenseTile<DirectFilters8>(src, wk, off, taps, y, ldy, bias, filters, relu);
        else DenseTile<DirectFilters4>(src, wk, off, taps, y, ldy, bias, filters, relu);
    }

    /// <summary>
    /// y[i][v·L …] = f(Σ_t wk[t][i] · src[off[t] + v·L …] + bias[i]) for the tile's filters i (those below
    /// <paramref name="filters"/> stored) and vectors v; the sum runs over the taps in order from zero, then the bias.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DenseTile<TF>(float* src, float* wk, int* off, int taps, float* y, long ldy, float* bias, int filters, bool relu)
        where TF : struct, IDirectFilterBlock
    {
        TVec a00 = TVec.Zero, a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        TVec a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        TVec a40 = a00, a41 = a00, a42 = a00, a43 = a00, a50 = a00, a51 = a00, a52 = a00, a53 = a00;
        TVec a60 = a00, a61 = a00, a62 = a00, a70 = a00, a71 = a00, a72 = a00;
        float* wt = wk;
        for (int t = 0; t < taps; t++, wt += TF.Filters)
        {
            float* s = src + off[t];
            TVec x0 = TVec.Load(s);
            TVec x1 = DenseVectors<TF>() > 1 ? TVec.Load(s + L) : x0;
            TVec x2 = DenseVectors<TF>() > 2 ? TVec.Load(s + 2 * L) : x0;
            TVec x3 = DenseVectors<TF>() > 3 ? TVec.Load(s + 3 * L) : x0;
            TVec w = TVec.Broadcast(wt[0]);
            a00 = TVec.MulAdd(w, x0, a00);
            if (DenseVectors<TF>() > 1) a01 = TVec.MulAdd(w, x1, a01);
            if (DenseVectors<TF>() > 2) a02 = TVec.MulAdd(w, x2, a02);
            if (DenseVectors<TF>() > 3) a03 = TVec.MulAdd(w, x3, a03);
            w = TVec.Broadcast(wt[1]);
            a10 = TVec.MulAdd(w, x0, a10);
            if (DenseVectors<TF>() > 1) a11 = TVec.MulAdd(w, x1, a11);
            if (DenseVectors<TF>() > 2) a12 = TVec.MulAdd(w, x2, a12);
            if (DenseVectors<TF>() > 3) a13 = TVec.MulAdd(w, x3, a13);
            w = TVec.Broadcast(wt[2]);
            a20 = TVec.MulAdd(w, x0, a20);
            if (DenseVectors<TF>() > 1) a21 = TVec.MulAdd(w, x1, a21);
            if (DenseVectors<TF>() > 2) a22 = TVec.MulAdd(w, x2, a22);
            if (DenseVectors<TF>() > 3) a23 = TVec.MulAdd(w, x3, a23);
            w = TVec.Broadcast(wt[3]);
            a30 = TVec.MulAdd(w, x0, a30);
            if (DenseVectors<TF>() > 1) a31 = TVec.MulAdd(w, x1, a31);
            if (DenseVectors<TF>() > 2) a32 = TVec.MulAdd(w, x2, a32);
            if (DenseVectors<TF>() > 3) a33 = TVec.MulAdd(w, x3, a33);
            if (TF.Filters > 4)
            {
                w = TVec.Broadcast(wt[4]);
                a40 = TVec.MulAdd(w, x0, a40);
                if (DenseVectors<TF>() > 1) a41 = TVec.MulAdd(w, x1, a41);
                if (DenseVectors<TF>() > 2) a42 = TVec.MulAdd(w, x2, a42);
                if (DenseVectors<TF>() > 3) a43 = TVec.MulAdd(w, x3, a43);
                w = TVec.Broadcast(wt[5]);
                a50 = TVec.MulAdd(w, x0, a50);
                if (DenseVectors<TF>() > 1) a51 = TVec.MulAdd(w, x1, a51);
                if (DenseVectors<TF>() > 2) a52 = TVec.MulAdd(w, x2, a52);
                if (DenseVectors<TF>() > 3) a53 = TVec.MulAdd(w, x3, a53);
            }
            if (TF.Filters > 6)
            {
                // 8 filters run 3 vectors (24 accumulators).
                w = TVec.Broadcast(wt[6]);
                a60 = TVec.MulAdd(w, x0, a60); a61 = TVec.MulAdd(w, x1, a61); a62 = TVec.MulAdd(w, x2, a62);
                w = TVec.Broadcast(wt[7]);
                a70 = TVec.MulAdd(w, x0, a70); a71 = TVec.MulAdd(w, x1, a71); a72 = TVec.MulAdd(w, x2, a72);
            }
        }
        DenseStore<TF>(y, bias, 0, filters, relu, a00, a01, a02, a03);
        DenseStore<TF>(y + ldy, bias, 1, filters, relu, a10, a11, a12, a13);
        DenseStore<TF>(y + 2 * ldy, bias, 2, filters, relu, a20, a21, a22, a23);
        DenseStore<TF>(y + 3 * ldy, bias, 3, filters, relu, a30, a31, a32, a33);
        if (TF.Filters > 4)
        {
            DenseStore<TF>(y + 4 * ldy, bias, 4, filters, relu, a40, a41, a42, a43);
            DenseStore<TF>(y + 5 * ldy, bias, 5, filters, relu, a50, a51, a52, a53);
        }
        if (TF.Filters > 6)
        {
            DenseStore<TF>(y + 6 * ldy, bias, 6, filters, relu, a60, a61, a62, a60);
            DenseStore<TF>(y + 7 * ldy, bias, 7, filters, relu, a70, a71, a72, a70);
        }
    }

    /// <summary>Filter i's vectors of the tile into its row of y, bias added and the activation applied; nothing for a padding filter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DenseStore<TF>(float* y, float* bias, int i, int filters, bool relu, TVec v0, TVec v1, TVec v2, TVec v3)
        where TF : struct, IDirectFilterBlock
    {
        if (i >= filters) return;
        var b = TVec.Broadcast(bias == null ? 0f : bias[i]);
        TVec.Store(Epilogue(v0 + b, relu), y);
        if (DenseVectors<TF>() > 1) TVec.Store(Epilogue(v1 + b, relu), y + L);
        if (DenseVectors<TF>() > 2) TVec.Store(Epilogue(v2 + b, relu), y + 2 * L);
        if (DenseVectors<TF>() > 3) TVec.Store(Epilogue(v3 + b, relu), y + 3 * L);
    }
}
