using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The direct forward of a layer of few input channels (the first layer of an image network) written channel-blocked
/// (<see cref="CpuPaths.ChannelBlocked"/>): vectors run along the filters, not the positions. A register tile is 6
/// output positions × 2 vectors of L filters (12 accumulators, which both widths hold with the weights and a
/// broadcast); each tap loads the two filter vectors and broadcasts the 6 inputs, so every FMA is useful and the
/// tile's vectors are the blocked output's own: stored where they lie, no transposes. The image is copied once into
/// zero-padded planes (<see cref="PadImage"/>), so the taps never test an edge.
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>
{
    /// <summary>Output positions per register tile.</summary>
    private const int BlockedDirectTile = 6;

    /// <summary>Most input channels the blocked direct forward takes (its taps are C·R·S broadcasts per position).</summary>
    internal const int BlockedDirectMaxChannels = 4;

    /// <summary>Whether <see cref="BlockedDirectForward"/> takes <paramref name="g"/> at this width: stride 1, few channels, filters in pairs of vectors.</summary>
    internal static bool BlockedDirectFits(in Conv2dGeometry g)
        => g.StrideH == 1 && g.StrideW == 1 && g.C <= BlockedDirectMaxChannels && g.K % (2 * TVec.Count) == 0;

    private struct BlockedDirectJob
    {
        public DirectJob M;
        public float* W, Bias, Y;
        public int Bands;                // tasks per image: bands of output rows, so a batch smaller than the threads still uses them all
        public bool Relu;
    }

    /// <summary>
    /// y (channel-blocked, blocks of L filters) = conv(x, w) + bias, through ReLU when <paramref name="relu"/>. The
    /// filters are packed tap-major (w[c][r][s] a row of K), once per version of <paramref name="filterBuffer"/> where
    /// the device caches packed filters.
    /// </summary>
    private void BlockedDirectForward(in Conv2dGeometry g, float* x, float* w, float* bias, float* y, bool relu, DeviceBuffer? filterBuffer)
    {
        var job = new BlockedDirectJob { M = DirectSetup(g), Y = y, Bias = bias, Relu = relu };
        job.M.X = x;
        int taps = g.C * g.R * g.S;
        // A row's last tile reads up to 5 positions past the row: the next row's, or the zeros after the planes.
        job.M.WorkerStride = job.M.PlaneFloats;
        job.M.Scratch = perWorker.Ensure(job.M.WorkerStride * pool.Threads);
        job.W = PackedFilters(filterBuffer, PackedRole.BlockedDirectFilters, g, (long)taps * g.K, out bool pack);
        if (pack)
            for (int k = 0; k < g.K; k++)
                for (int t = 0; t < taps; t++) job.W[(long)t * g.K + k] = w[(long)k * taps + t];
        job.Bands = g.N >= pool.Threads ? 1 : Math.Min(g.P, (pool.Threads + g.N - 1) / g.N);
        For(g.N * job.Bands, &BlockedDirectBand, &job, Parallel((long)g.N * g.K * taps * g.P * g.Q));
    }

    /// <summary>Task: a band of output rows of one image (the whole image when there are images for every thread).</summary>
    private static void BlockedDirectBand(void* context, int task, int worker)
    {
        var job = (BlockedDirectJob*)context;
        ref var m = ref job->M;
        ref readonly var g = ref m.G;
        int n = task / job->Bands, band = task % job->Bands;
        int p0 = (int)((long)g.P * band / job->Bands), p1 = (int)((long)g.P * (band + 1) / job->Bands);
        float* plane = m.Scratch + worker * m.WorkerStride;
        PadImage(ref m, n, plane);
        int l = TVec.Count;
        long pq = (long)g.P * g.Q;
        float* image = job->Y + (long)n * g.K * pq;
        for (int k = 0; k < g.K; k += 2 * l)
        {
            TVec b0 = job->Bias == null ? TVec.Zero : TVec.Load(job->Bias + k), b1 = job->Bias == null ? TVec.Zero : TVec.Load(job->Bias + k + l);
            float* y0 = image + k * pq, y1 = y0 + l * pq;
            for (int p = p0; p < p1; p++)
                for (int q = 0; q < g.Q; q += BlockedDirectTile)
                    BlockedDirectTileAt(job, plane + (long)p * m.Wp + q, job->W + k, y0 + (p * g.Q + q) * l, y1 + (p * g.Q + q) * l,
                                        Math.Min(BlockedDirectTile, g.Q - q), b0, b1);
        }
    }

    /// <summary>6 positions of a row (the first <paramref name="count"/> stored) × 2 vectors of filters, summed over the taps in (c, r, s) order.</summary>
    private static void BlockedDirectTileAt(BlockedDirectJob* job, float* x, float* w, float* y0, float* y1, int count, TVec b0, TVec b1)
    {
        ref readonly var g = ref job->M.G;
        int l = TVec.Count, k = g.K, wp = job->M.Wp;
        long planeFloats = (long)job->M.Hp * wp;
        TVec a0 = TVec.Zero, a1 = TVec.Zero, a2 = TVec.Zero, a3 = TVec.Zero, a4 = TVec.Zero, a5 = TVec.Zero;
        TVec c0 = TVec.Zero, c1 = TVec.Zero, c2 = TVec.Zero, c3 = TVec.Zero, c4 = TVec.Zero, c5 = TVec.Zero;
        for (int c = 0; c < g.C; c++)
            for (int r = 0; r < g.R; r++)
            {
                float* row = x + c * planeFloats + (long)r * wp;
                for (int s = 0; s < g.S; s++, w += k)
                {
                    TVec w0 = TVec.Load(w), w1 = TVec.Load(w + l);
                    TVec v = TVec.Broadcast(row[s]);
                    a0 = TVec.MulAdd(w0, v, a0); c0 = TVec.MulAdd(w1, v, c0);
                    v = TVec.Broadcast(row[s + 1]);
                    a1 = TVec.MulAdd(w0, v, a1); c1 = TVec.MulAdd(w1, v, c1);
                    v = TVec.Broadcast(row[s + 2]);
                    a2 = TVec.MulAdd(w0, v, a2); c2 = TVec.MulAdd(w1, v, c2);
                    v = TVec.Broadcast(row[s + 3]);
                    a3 = TVec.MulAdd(w0, v, a3); c3 = TVec.MulAdd(w1, v, c3);
                    v = TVec.Broadcast(row[s + 4]);
                    a4 = TVec.MulAdd(w0, v, a4); c4 = TVec.MulAdd(w1, v, c4);
                    v = TVec.Broadcast(row[s + 5]);
                    a5 = TVec.MulAdd(w0, v, a5); c5 = TVec.MulAdd(w1, v, c5);
                }
            }
        bool relu = job->Relu;
        TVec.Store(Epilogue(a0 + b0, relu), y0); TVec.Store(Epilogue(c0 + b1, relu), y1);
        if (count > 1) { TVec.Store(Epilogue(a1 + b0, relu), y0 + l); TVec.Store(Epilogue(c1 + b1, relu), y1 + l); }
        if (count > 2) { TVec.Store(Epilogue(a2 + b0, relu), y0 + 2 * l); TVec.Store(Epilogue(c2 + b1, relu), y1 + 2 * l); }
        if (count > 3) { TVec.Store(Epilogue(a3 + b0, relu), y0 + 3 * l); TVec.Store(Epilogue(c3 + b1, relu), y1 + 3 * l); }
        if (count > 4) { TVec.Store(Epilogue(a4 + b0, relu), y0 + 4 * l); TVec.Store(Epilogue(c4 + b1, relu), y1 + 4 * l); }
        if (count > 5) { TVec.Store(Epilogue(a5 + b0, relu), y0 + 5 * l); TVec.Store(Epilogue(c5 + b1, relu), y1 + 5 * l); }
    }
}
