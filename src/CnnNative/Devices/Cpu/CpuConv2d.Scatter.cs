namespace CnnNative.Devices.Cpu;

/// <summary>
/// The backward data of a layer with a few channels whose output is smaller than its input (LeNet's unpadded 5×5:
/// 14×14 → 10×10) as a scatter of one product per tap: dxpad[c][j + r·Wp + s] += Σ_k w[k][c][r][s] · dy[k][j], with
/// dy's positions j = p·Wp + q laid on rows as wide as the padded input (the columns past Q zero), so each tap's
/// products land at one shift in the padded dx and whole vectors of positions are added at once. Its multiply-adds
/// are the layer's own (and the wide rows' (Wp − Q)/Wp), where the direct path's full convolution of the padded dy
/// computes every output from all R·S taps, half of them on zeros for LeNet; nor are column-shifted planes built.
/// The tile is the dense direct forward's (CpuConv2d.DenseDirect.cs): a block of channels broadcast, vectors of
/// positions loaded, the sum over the filters in order, then added into the padded dx. A task is an image; every
/// element is summed in the same order (taps in order, each tap's filters in order) for any thread count.
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>
{
    private struct ScatterJob
    {
        public Conv2dGeometry G;
        public float* Dy, Dx, PackedW, Scratch;
        public int* Offsets;         // filter k's wide dy rows start k · WideFloats
        public int Wp, Hp, FilterBlock, CPad, TileVectors, Tiles, WideFloats, DxFloats;
        public long WorkerFloats;
    }

    private void ScatterBackwardData(in Conv2dGeometry g, float* dy, float* w, float* dx)
    {
        var m = new ScatterJob { G = g, Dy = dy, Dx = dx, Wp = g.W + 2 * g.PadW, Hp = g.H + 2 * g.PadH };
        m.FilterBlock = DenseFilterBlock(g.C);
        m.CPad = CpuGemm.RoundUp(g.C, m.FilterBlock);
        // dy's P rows of Wp positions, as whole vectors cut into tiles as even as the tile's most vectors allow.
        int vectors = (g.P * m.Wp + L - 1) / L, most = 3 * L / 2 / m.FilterBlock;
        m.Tiles = (vectors + most - 1) / most;
        m.TileVectors = (vectors + m.Tiles - 1) / m.Tiles;
        m.WideFloats = m.Tiles * m.TileVectors * L;
        // A tap's products reach position WideFloats − 1 + (R − 1)·Wp + S − 1 of a padded dx plane.
        m.DxFloats = CpuGemm.RoundUp(Math.Max(m.Hp * m.Wp, m.WideFloats + (g.R - 1) * m.Wp + g.S), L);
        m.WorkerFloats = (long)g.K * m.WideFloats + (long)m.CPad * m.DxFloats;
        int* offsets = stackalloc int[g.K];
        for (int k = 0; k < g.K; k++) offsets[k] = k * m.WideFloats;
        m.Offsets = offsets;

        // Filters as [tap r·S + s][channel block][filter k][channel in block], zero past C.
        int rs = g.R * g.S;
        m.PackedW = shared.Ensure((long)rs * m.CPad * g.K);
        for (int t = 0; t < rs; t++)
            for (int cb = 0; cb < m.CPad; cb += m.FilterBlock)
                for (int k = 0; k < g.K; k++)
                    for (int i = 0; i < m.FilterBlock; i++)
                        m.PackedW[((long)t * m.CPad + cb) * g.K + k * m.FilterBlock + i] =
                            cb + i < g.C ? w[((long)k * g.C + cb + i) * rs + t] : 0f;

        m.Scratch = perWorker.Ensure(m.WorkerFloats * pool.Threads);
        For(g.N, &ScatterDataTask, &m, g.N > 1 && Parallel((long)g.N * g.K * g.C * rs * g.P * g.Q));
    }

    private static void ScatterDataTask(void* context, int n, int worker)
    {
        var m = (ScatterJob*)context;
        ref readonly var g = ref m->G;
        float* wide = m->Scratch + worker * m->WorkerFloats, dxpad = wide + (long)g.K * m->WideFloats;
        int pq = g.P * g.Q;
        // dy's rows onto rows of Wp, zeros between and after them; the padded dx cleared.
        new Span<float>(wide, g.K * m->WideFloats).Clear();
        for (int k = 0; k < g.K; k++)
        {
            float* src = m->Dy + ((long)n * g.K + k) * pq, dst = wide + k * m->WideFloats;
            for (int p = 0; p < g.P; p++) new Span<float>(src + p * g.Q, g.Q).CopyTo(new Span<float>(dst + p * m->Wp, g.Q));
        }
        new Span<float>(dxpad, m->CPad * m->DxFloats).Clear();

        for (int r = 0; r < g.R; r++)
            for (int s = 0; s < g.S; s++)
            {
                int shift = r * m->Wp + s;
                for (int cb = 0; cb < m->CPad; cb += m->FilterBlock)
                {
                    float* wk = m->PackedW + ((long)(r * g.S + s) * m->CPad + cb) * g.K;
                    float* y = dxpad + (long)cb * m->DxFloats + shift;
                    int channels = Math.Min(m->FilterBlock, g.C - cb);
                    for (int tile = 0; tile < m->Tiles; tile++)
                    {
                        int j = tile * m->TileVectors * L;
                        DenseTile(m->FilterBlock, m->TileVectors, wide + j, wk, m->Offsets, g.K, y + j, m->DxFloats, null, channels,
                                  relu: false, accumulate: true);
                    }
                }
            }

        // The padded dx's interior is dx.
        for (int c = 0; c < g.C; c++)
        {
            float* src = dxpad + (long)c * m->DxFloats + g.PadH * m->Wp + g.PadW, dst = m->Dx + ((long)n * g.C + c) * g.H * g.W;
            for (int h = 0; h < g.H; h++) new Span<float>(src + h * m->Wp, g.W).CopyTo(new Span<float>(dst + h * g.W, g.W));
        }
    }
}
