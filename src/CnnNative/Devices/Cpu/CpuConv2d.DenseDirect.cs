using System.Runtime.CompilerServices;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The direct forward (one input channel, or a few on larger images; see <see cref="CpuConv2dPlanner"/>) on dense
/// output positions j = p·Q + q, the order of y itself. Each image is copied once into C·S column-shifted planes
/// of Hp × Q, xs[c][s][h][q] = xpad[c][h][q + s], in which tap (c, r, s) of position j is xs[c][s][j + r·Q]: the
/// convolution is a 1-D one, y[k][j] = Σ_t w[k][t] · xs[j + off(t)] with off(c, r, s) = (c·S + s)·stride + r·Q (a
/// plane's stride: Hp·Q rounded up to a 64-byte line, so every plane starts on one), so contiguous vectors of positions run straight across row ends and no position is computed for nothing (the
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
        public long PlanesFloats, PlaneStride, StageOffset;
        public int* Gather;         // the permuted planes' table (CpuConv2d.PermutedPlanes.cs), or null: row by row
        public int GatherVectors, SourceWidth;
        public bool Staged;
        public int Taps, Hp, FilterBlock, KPad, FiltersPerTask, KTasks, TilePositions, Tiles, TilesPerChunk, Chunks;
        public bool Relu;
    }

    /// <summary>The tile's filters for K filters: 6 where that pads K less than the width's 8 or 4 (K = 6, 12, 18).</summary>
    private static int DenseFilterBlock(int k) => CpuGemm.RoundUp(k, 6) < CpuGemm.RoundUp(k, L / 2) ? 6 : L / 2;

    /// <summary>
    /// y = conv(x, w) + bias by the dense direct path. With <paramref name="flipped"/>, w holds the filters of the
    /// convolution whose backward data this is (K = g.C, C = g.K), read transposed and flipped while packing (see
    /// <see cref="CpuConv2dPlanner.BackwardData"/>); <paramref name="filters"/> is then null (nothing cached).
    /// </summary>
    private void DirectForward(in Conv2dGeometry g, float* x, float* w, float* bias, float* y, bool relu, DeviceBuffer? filters, bool flipped = false)
    {
        var m = new DenseJob { G = g, X = x, Bias = bias, Y = y, Relu = relu, Taps = g.C * g.R * g.S, Hp = g.H + 2 * g.PadH };
        PlanPlanes(ref m);
        int* offsets = stackalloc int[m.Taps];
        for (int t = 0; t < m.Taps; t++)
        {
            int c = t / (g.R * g.S), r = t / g.S % g.R, s = t % g.S;
            offsets[t] = (int)((c * g.S + s) * m.PlaneStride + r * g.Q);
        }
        m.Offsets = offsets;
        m.FilterBlock = DenseFilterBlock(g.K);
        m.KPad = CpuGemm.RoundUp(g.K, m.FilterBlock);
        // Weights as [filter block][tap][filter in block], zero past K.
        m.PackedW = PackedFilters(filters, PackedRole.DirectFilters, g, (long)m.KPad * m.Taps, out bool pack);
        if (pack)
            for (int k = 0; k < m.KPad; k++)
                for (int t = 0; t < m.Taps; t++)
                    m.PackedW[(long)(k / m.FilterBlock) * m.Taps * m.FilterBlock + t * m.FilterBlock + k % m.FilterBlock] =
                        k >= g.K ? 0f : flipped ? FlippedTap(g, w, k, t) : w[(long)k * m.Taps + t];
        m.FiltersPerTask = CpuGemm.RoundUp(DenseFiltersPerTask, m.FilterBlock);
        // With an image per thread or more, a task is a whole image (its planes built once); else filters are split.
        m.KTasks = g.N >= pool.Threads ? 1 : (m.KPad + m.FiltersPerTask - 1) / m.FiltersPerTask;
        if (m.KTasks == 1) m.FiltersPerTask = m.KPad;
        // Vectors of positions per full tile: 24 zmm or 12 ymm accumulators in all (8 × 3, 6 × 4; 4 × 3, 6 × 2).
        m.TilePositions = 3 * L / 2 / m.FilterBlock * L;
        int pq = g.P * g.Q;
        m.Tiles = (pq + m.TilePositions - 1) / m.TilePositions;
        // Fewer (image, filter group) tasks than threads (batch 1): the positions are split too.
        int tasks = g.N * m.KTasks;
        m.Chunks = tasks >= pool.Threads ? 1 : Math.Min(m.Tiles, (pool.Threads + tasks - 1) / tasks);
        m.TilesPerChunk = (m.Tiles + m.Chunks - 1) / m.Chunks;
        m.Chunks = (m.Tiles + m.TilesPerChunk - 1) / m.TilesPerChunk;
        m.Scratch = perWorker.Ensure(m.PlanesFloats * pool.Threads);
        For(tasks * m.Chunks, &DenseForwardTask, &m, Parallel((long)g.K * m.Taps * pq * g.N));
    }

    /// <summary>
    /// Tap t = (c·R + r)·S + s of filter k of the backward data's convolution (K = g.C, C = g.K): the original
    /// w[c][k][R−1−r][S−1−s], whose filters are g.C taps deep.
    /// </summary>
    private static float FlippedTap(in Conv2dGeometry g, float* w, int k, int t)
    {
        int rs = g.R * g.S;
        return w[((long)(t / rs) * g.K + k) * rs + rs - 1 - t % rs];
    }

    /// <summary>
    /// Image n as C·S column-shifted planes xs[c][s][h][q] = xpad[c][h][q + s], each zero-filled to its stride, then
    /// zeros (see the class summary): by permutation where the job has a gather table (CpuConv2d.PermutedPlanes.cs),
    /// else row by row.
    /// </summary>
    private static void ShiftedPlanes(ref DenseJob m, int n, float* planes)
    {
        if (m.Gather != null)
        {
            PermutedPlanes(ref m, n, planes);
            return;
        }
        ref readonly var g = ref m.G;
        long planeFloats = m.PlaneStride;
        float* end = m.X + (long)g.N * g.C * g.H * g.W;
        // In order of address: each row's copy may spill up to a vector past it, into what is written next.
        for (int c = 0; c < g.C; c++)
        {
            float* image = m.X + ((long)n * g.C + c) * g.H * g.W;
            for (int s = 0; s < g.S; s++)
            {
                float* plane = planes + (c * g.S + s) * planeFloats, row = plane + (long)g.PadH * g.Q;
                new Span<float>(plane, g.PadH * g.Q).Clear();
                int shift = s - g.PadW; // column q reads input column q + shift: the valid q are [q0, q1)
                int q0 = Math.Min(g.Q, Math.Max(0, -shift)), q1 = Math.Max(q0, Math.Min(g.Q, g.W - shift));
                for (int h = 0; h < g.H; h++, row += g.Q)
                {
                    for (int q = 0; q < q0; q++) row[q] = 0f;
                    CopySpilling(image + (long)h * g.W + q0 + shift, row + q0, q1 - q0, end);
                    for (int q = q1; q < g.Q; q++) row[q] = 0f;
                }
                new Span<float>(row, (int)(plane + planeFloats - row)).Clear();
            }
        }
        new Span<float>(planes + g.C * g.S * planeFloats, DenseMaxTilePositions).Clear();
    }

    /// <summary>
    /// dst[0..count) = src[0..count) in whole vectors, which may write up to a vector past count (the caller writes
    /// that memory afterwards) and read as far past it, unless that would read past <paramref name="end"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopySpilling(float* src, float* dst, int count, float* end)
    {
        int q = 0;
        if (src + CpuGemm.RoundUp(count, L) <= end)
            for (; q < count; q += L) TVec.Store(TVec.Load(src + q), dst + q);
        else
            for (; q < count; q++) dst[q] = src[q];
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
        // An image smaller than its vectors: the tile is computed into this block, then its positions copied.
        float* small = stackalloc float[pq % L != 0 && pq < tp ? 8 * DenseMaxTilePositions : 1];
        for (int kb = k0; kb < k1; kb += m->FilterBlock)
        {
            float* wk = m->PackedW + (long)kb * m->Taps;
            float* bias = m->Bias == null ? null : m->Bias + kb;
            int filters = Math.Min(m->FilterBlock, g.K - kb);
            float* yk = m->Y + ((long)n * g.K + kb) * pq;
            for (int tile = t0; tile < t1; tile++)
            {
                int j = tile * tp, rest = pq - j;
                int vectors = rest >= tp ? tp / L : (rest + L - 1) / L;
                if (j + vectors * L > pq)
                {
                    // The last, partial tile: as few vectors as cover it, ending at the image's end (over positions
                    // computed before, to the same sums), or past it into the small block for an image that small.
                    if (pq >= vectors * L) j = pq - vectors * L;
                    else
                    {
                        DenseTile(m->FilterBlock, vectors, planes, wk, m->Offsets, m->Taps, small, tp, bias, filters, m->Relu);
                        for (int i = 0; i < filters; i++)
                            new Span<float>(small + i * tp, pq).CopyTo(new Span<float>(yk + (long)i * pq, pq));
                        continue;
                    }
                }
                DenseTile(m->FilterBlock, vectors, planes + j, wk, m->Offsets, m->Taps, yk + j, pq, bias, filters, m->Relu);
            }
        }
    }

    /// <summary>The tile for a block of <paramref name="filterBlock"/> filters and <paramref name="vectors"/> vectors of positions.</summary>
    private static void DenseTile(int filterBlock, int vectors, float* src, float* wk, int* off, int taps, float* y, long ldy, float* bias, int filters, bool relu,
                                  bool accumulate = false)
    {
        if (filterBlock == 6)
        {
            switch (vectors)
            {
                case 1: DenseTile<TileCount6, TileCount1>(src, wk, off, taps, y, ldy, bias, filters, relu, accumulate); return;
                case 2: DenseTile<TileCount6, TileCount2>(src, wk, off, taps, y, ldy, bias, filters, relu, accumulate); return;
                case 3: DenseTile<TileCount6, TileCount3>(src, wk, off, taps, y, ldy, bias, filters, relu, accumulate); return;
                default: DenseTile<TileCount6, TileCount4>(src, wk, off, taps, y, ldy, bias, filters, relu, accumulate); return;
            }
        }
        if (TVec.Count == 16)
        {
            switch (vectors)
            {
                case 1: DenseTile<TileCount8, TileCount1>(src, wk, off, taps, y, ldy, bias, filters, relu, accumulate); return;
                case 2: DenseTile<TileCount8, TileCount2>(src, wk, off, taps, y, ldy, bias, filters, relu, accumulate); return;
                default: DenseTile<TileCount8, TileCount3>(src, wk, off, taps, y, ldy, bias, filters, relu, accumulate); return;
            }
        }
        switch (vectors)
        {
            case 1: DenseTile<TileCount4, TileCount1>(src, wk, off, taps, y, ldy, bias, filters, relu, accumulate); return;
            case 2: DenseTile<TileCount4, TileCount2>(src, wk, off, taps, y, ldy, bias, filters, relu, accumulate); return;
            default: DenseTile<TileCount4, TileCount3>(src, wk, off, taps, y, ldy, bias, filters, relu, accumulate); return;
        }
    }

    /// <summary>
    /// y[i][v·L …] = f(Σ_t wk[t][i] · src[off[t] + v·L …] + bias[i]) for the tile's <typeparamref name="TF"/> filters i
    /// (those below <paramref name="filters"/> stored) and <typeparamref name="TX"/> vectors v (8 filters take at
    /// most 3); the sum runs over the taps in order from zero, then the bias.
    /// </summary>
    private static void DenseTile<TF, TX>(float* src, float* wk, int* off, int taps, float* y, long ldy, float* bias, int filters, bool relu, bool accumulate)
        where TF : struct, ITileCount where TX : struct, ITileCount
    {
        TVec a00 = TVec.Zero, a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        TVec a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        TVec a40 = a00, a41 = a00, a42 = a00, a43 = a00, a50 = a00, a51 = a00, a52 = a00, a53 = a00;
        TVec a60 = a00, a61 = a00, a62 = a00, a70 = a00, a71 = a00, a72 = a00;
        float* wt = wk;
        for (int t = 0; t < taps; t++, wt += TF.Value)
        {
            float* s = src + off[t];
            TVec x0 = TVec.Load(s);
            TVec x1 = TX.Value > 1 ? TVec.Load(s + L) : x0;
            TVec x2 = TX.Value > 2 ? TVec.Load(s + 2 * L) : x0;
            TVec x3 = TX.Value > 3 ? TVec.Load(s + 3 * L) : x0;
            TVec w = TVec.Broadcast(wt[0]);
            a00 = TVec.MulAdd(w, x0, a00);
            if (TX.Value > 1) a01 = TVec.MulAdd(w, x1, a01);
            if (TX.Value > 2) a02 = TVec.MulAdd(w, x2, a02);
            if (TX.Value > 3) a03 = TVec.MulAdd(w, x3, a03);
            w = TVec.Broadcast(wt[1]);
            a10 = TVec.MulAdd(w, x0, a10);
            if (TX.Value > 1) a11 = TVec.MulAdd(w, x1, a11);
            if (TX.Value > 2) a12 = TVec.MulAdd(w, x2, a12);
            if (TX.Value > 3) a13 = TVec.MulAdd(w, x3, a13);
            w = TVec.Broadcast(wt[2]);
            a20 = TVec.MulAdd(w, x0, a20);
            if (TX.Value > 1) a21 = TVec.MulAdd(w, x1, a21);
            if (TX.Value > 2) a22 = TVec.MulAdd(w, x2, a22);
            if (TX.Value > 3) a23 = TVec.MulAdd(w, x3, a23);
            w = TVec.Broadcast(wt[3]);
            a30 = TVec.MulAdd(w, x0, a30);
            if (TX.Value > 1) a31 = TVec.MulAdd(w, x1, a31);
            if (TX.Value > 2) a32 = TVec.MulAdd(w, x2, a32);
            if (TX.Value > 3) a33 = TVec.MulAdd(w, x3, a33);
            if (TF.Value > 4)
            {
                w = TVec.Broadcast(wt[4]);
                a40 = TVec.MulAdd(w, x0, a40);
                if (TX.Value > 1) a41 = TVec.MulAdd(w, x1, a41);
                if (TX.Value > 2) a42 = TVec.MulAdd(w, x2, a42);
                if (TX.Value > 3) a43 = TVec.MulAdd(w, x3, a43);
                w = TVec.Broadcast(wt[5]);
                a50 = TVec.MulAdd(w, x0, a50);
                if (TX.Value > 1) a51 = TVec.MulAdd(w, x1, a51);
                if (TX.Value > 2) a52 = TVec.MulAdd(w, x2, a52);
                if (TX.Value > 3) a53 = TVec.MulAdd(w, x3, a53);
            }
            if (TF.Value > 6)
            {
                w = TVec.Broadcast(wt[6]);
                a60 = TVec.MulAdd(w, x0, a60);
                if (TX.Value > 1) a61 = TVec.MulAdd(w, x1, a61);
                if (TX.Value > 2) a62 = TVec.MulAdd(w, x2, a62);
                w = TVec.Broadcast(wt[7]);
                a70 = TVec.MulAdd(w, x0, a70);
                if (TX.Value > 1) a71 = TVec.MulAdd(w, x1, a71);
                if (TX.Value > 2) a72 = TVec.MulAdd(w, x2, a72);
            }
        }
        DenseStore<TX>(y, bias, 0, filters, relu, accumulate, a00, a01, a02, a03);
        DenseStore<TX>(y + ldy, bias, 1, filters, relu, accumulate, a10, a11, a12, a13);
        DenseStore<TX>(y + 2 * ldy, bias, 2, filters, relu, accumulate, a20, a21, a22, a23);
        DenseStore<TX>(y + 3 * ldy, bias, 3, filters, relu, accumulate, a30, a31, a32, a33);
        if (TF.Value > 4)
        {
            DenseStore<TX>(y + 4 * ldy, bias, 4, filters, relu, accumulate, a40, a41, a42, a43);
            DenseStore<TX>(y + 5 * ldy, bias, 5, filters, relu, accumulate, a50, a51, a52, a53);
        }
        if (TF.Value > 6)
        {
            DenseStore<TX>(y + 6 * ldy, bias, 6, filters, relu, accumulate, a60, a61, a62, a60);
            DenseStore<TX>(y + 7 * ldy, bias, 7, filters, relu, accumulate, a70, a71, a72, a70);
        }
    }

    /// <summary>
    /// Filter i's vectors of the tile into its row of y, bias added and the activation applied, or added to what y
    /// holds (<paramref name="accumulate"/>: the scatter backward data); nothing for a padding filter.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DenseStore<TX>(float* y, float* bias, int i, int filters, bool relu, bool accumulate, TVec v0, TVec v1, TVec v2, TVec v3)
        where TX : struct, ITileCount
    {
        if (i >= filters) return;
        if (accumulate)
        {
            TVec.Store(TVec.Load(y) + v0, y);
            if (TX.Value > 1) TVec.Store(TVec.Load(y + L) + v1, y + L);
            if (TX.Value > 2) TVec.Store(TVec.Load(y + 2 * L) + v2, y + 2 * L);
            if (TX.Value > 3) TVec.Store(TVec.Load(y + 3 * L) + v3, y + 3 * L);
            return;
        }
        var b = TVec.Broadcast(bias == null ? 0f : bias[i]);
        TVec.Store(Epilogue(v0 + b, relu), y);
        if (TX.Value > 1) TVec.Store(Epilogue(v1 + b, relu), y + L);
        if (TX.Value > 2) TVec.Store(Epilogue(v2 + b, relu), y + 2 * L);
        if (TX.Value > 3) TVec.Store(Epilogue(v3 + b, relu), y + 3 * L);
    }
}
