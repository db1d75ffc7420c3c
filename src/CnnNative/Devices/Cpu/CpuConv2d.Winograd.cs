using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// Stride-1 convolution with square 5×5 or 3×3 filters by Winograd's minimal filtering on 6×6 input tiles:
/// F(2×2, 5×5) and F(4×4, 3×3), both on the points 0, ±1, ±2, ∞ (Lavin and Gray, "Fast Algorithms for Convolutional
/// Neural Networks", 2016). A tile of m×m outputs is Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so a 5×5 layer does 36
/// multiplies per 4 outputs instead of 100 and a 3×3 layer 36 per 16 instead of 144; the adds of the transforms are
/// cheap beside them. Summed over channels, the elementwise products become 36 independent GEMMs, one per point ξ
/// of the tile: M[ξ] (tiles × K) = V[ξ] (tiles × C) · U[ξ] (C × K), run by the implicit path's register tile.
/// <para>
/// Per task (an image, or a band of its tile rows when there are fewer images than threads): the band's input rows
/// are copied channel-last and zero-padded (8 × 8 transposes; vector copies from a channel-blocked x), each tile's
/// Bᵀ d B is computed on vectors of channels, the 36 GEMMs run against the filters' transform U (computed on vectors
/// of filters once per filter version and cached like the other paths' packed filters), and each tile's Aᵀ M A is
/// computed on vectors of filters, with the bias and the fused activation, into position-major rows that are
/// transposed into y (copied by vectors into a channel-blocked y). V and M of a band stay in L2. Every output is
/// computed the same way on any schedule, so thread counts give the same bits.
/// </para>
/// <para>
/// Rounding: the transforms scale values by up to 5 and 1/24, so results differ from a direct sum by a few times
/// its rounding (relative 1e-6 to 1e-5 on the conformance shapes; see <see cref="CpuConv2dPlanner"/>).
/// </para>
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>
{
    /// <summary>Side of the input tile (m + r − 1 = 6 for both filter sizes).</summary>
    private const int WinogradAlpha = 6;

    /// <summary>Points of the tile: one GEMM each.</summary>
    private const int WinogradPoints = WinogradAlpha * WinogradAlpha;

    /// <summary>
    /// Most floats of V and M per band (256 KiB), so both stay in L2 beside U. Measured on convnet's second layer
    /// (batch 256): bands of 14 tiles 8.6 ms, 42 (+14) tiles 11.8 ms, a whole image's 56 (padded) 9.4 ms.
    /// </summary>
    private const int WinogradBandFloats = 64 * 1024;

    /// <summary>Floats of a task's staged input rows (256 KiB): a whole image for small images, a few bands for large ones.</summary>
    private const int WinogradStageFloats = 64 * 1024;

    /// <summary>
    /// The finite points' scales: Bᵀ's rows are V_n^−ᵀ's scaled to small integers by these, G's rows (point powers)
    /// divided by them, so the input transform (run per tile and channel) multiplies by integers only.
    /// </summary>
    private static ReadOnlySpan<double> WinogradPointValues => [0, 1, -1, 2, -2];
    private static ReadOnlySpan<double> WinogradPointScales => [4, 6, 6, 24, 24];

    private struct WinogradJob
    {
        public Conv2dGeometry G;
        public int Mo;                   // outputs per tile side: 2 (5×5) or 4 (3×3)
        public int Cp, Kp;               // channels padded to whole vectors, filters to whole panels
        public int TP, TQ;               // tile rows and columns of an image
        public int BandRows, Bands, BandsPerTask, TilesPad, Ws, ImagesPerTask;
        public float* X, U, Bias, Y, Scratch;
        public long WorkerStride, StageFloats, VFloats, MFloats;
        public bool Relu;
        public int XBlock;               // x channel-blocked in blocks of XBlock channels (0: NCHW)
        public bool YBlocked;            // y written channel-blocked in blocks of TVec.Count filters (K a multiple of it)
    }

    /// <summary>Outputs per tile side for filters of side <paramref name="r"/> (a 6-point tile): 2 for 5×5, 4 for 3×3.</summary>
    internal static int WinogradOutputs(int r) => WinogradAlpha - r + 1;

    /// <summary>
    /// y = conv(x, w) + bias by Winograd tiles. With <paramref name="flipped"/>, w holds the filters of the convolution
    /// whose backward data this is (K = g.C, C = g.K), used transposed and flipped; see
    /// <see cref="CpuConv2dPlanner.BackwardData"/>.
    /// </summary>
    /// <paramref name="xBlock"/>: x is channel-blocked in blocks of that many channels (0: NCHW); <paramref name="yBlocked"/>:
    /// y is written channel-blocked in blocks of TVec.Count filters (K must be a multiple), copied from the
    /// position-major tile a vector at a time instead of transposed (<see cref="CopyToBlocks"/>).
    private void WinogradForward(in Conv2dGeometry g, float* x, float* w, float* bias, float* y, bool relu, DeviceBuffer? filterBuffer, bool flipped = false,
                                 int xBlock = 0, bool yBlocked = false)
    {
        var job = new WinogradJob { G = g, Mo = WinogradOutputs(g.R), X = x, Y = y, Relu = relu, XBlock = xBlock, YBlocked = yBlocked };
        job.Cp = CpuGemm.RoundUp(g.C, TVec.Count);
        job.Kp = CpuGemm.RoundUp(g.K, NR);
        job.TP = (g.P + job.Mo - 1) / job.Mo;
        job.TQ = (g.Q + job.Mo - 1) / job.Mo;
        // Band rows: of the row counts whose V and M fit WinogradBandFloats (at least one row), the one that pads the
        // fewest tiles to whole register tiles (ties: more rows); with fewer images than threads, few enough rows
        // that every thread gets a band.
        int maxRows = Math.Clamp(WinogradBandFloats / (WinogradPoints * (job.Cp + job.Kp)) / job.TQ, 1, job.TP);
        if (g.N < pool.Threads)
        {
            int perImage = (pool.Threads + g.N - 1) / g.N;
            maxRows = Math.Min(maxRows, Math.Max(1, (job.TP + perImage - 1) / perImage));
        }
        long fewest = long.MaxValue;
        for (int rows = 1; rows <= maxRows; rows++)
        {
            long padded = (long)(job.TP / rows) * CpuGemm.RoundUp(rows * job.TQ, MR) + CpuGemm.RoundUp(job.TP % rows * job.TQ, MR);
            if (padded <= fewest) { fewest = padded; job.BandRows = rows; }
        }
        job.Bands = (job.TP + job.BandRows - 1) / job.BandRows;
        job.TilesPad = CpuGemm.RoundUp(job.BandRows * job.TQ, MR);
        job.Ws = job.TQ * job.Mo + g.S - 1;
        // A task stages the input rows of several bands at once (each band's rows overlap the next band's by R − 1):
        // a whole image where there are images for every thread, as many bands as fit WinogradStageFloats otherwise.
        long rowFloats = (long)job.Ws * job.Cp;
        job.BandsPerTask = g.N < pool.Threads ? 1
            : (int)Math.Clamp((WinogradStageFloats / rowFloats - (g.R - 1)) / (job.BandRows * job.Mo), 1, job.Bands);
        job.StageFloats = ScratchMemory.Align((job.BandsPerTask * job.BandRows * job.Mo + g.R - 1) * rowFloats);
        job.VFloats = (long)WinogradPoints * job.Cp * job.TilesPad;
        job.MFloats = (long)WinogradPoints * job.TilesPad * job.Kp;
        long outFloats = (long)job.BandRows * job.Mo * g.Q * job.Kp;
        job.WorkerStride = job.StageFloats + job.VFloats + job.MFloats + ScratchMemory.Align(outFloats);
        job.ImagesPerTask = (paths & CpuPaths.WinogradImageRuns) != 0 ? ImagesPerTask(g, job.TP, job.TQ, job.Cp, job.Ws, job.Mo) : 0;
        if (job.ImagesPerTask > 0)
        {
            // Chunks of as many whole register tiles as fit WinogradBandFloats; per image its staged rows and outputs.
            job.TilesPad = Math.Max(MR, WinogradBandFloats / (WinogradPoints * (job.Cp + job.Kp)) / MR * MR);
            job.StageFloats = ScratchMemory.Align((long)(job.TP * job.Mo + g.R - 1) * rowFloats);
            job.VFloats = (long)WinogradPoints * job.Cp * job.TilesPad;
            job.MFloats = (long)WinogradPoints * job.TilesPad * job.Kp;
            job.WorkerStride = job.VFloats + job.MFloats + job.ImagesPerTask * (job.StageFloats + ScratchMemory.Align((long)g.P * g.Q * job.Kp));
        }
        float* scratch = perWorker.Ensure(job.WorkerStride * pool.Threads + job.Kp);
        job.Scratch = scratch;
        if (bias != null)
        {
            // A copy padded to whole panels, so the output transform adds the bias a vector of filters at a time.
            job.Bias = scratch + job.WorkerStride * pool.Threads;
            new Span<float>(job.Bias, job.Kp).Clear();
            new ReadOnlySpan<float>(bias, g.K).CopyTo(new Span<float>(job.Bias, g.K));
        }

        long uFloats = (long)WinogradPoints * job.Cp * job.Kp;
        bool transform = true;
        job.U = flipped ? shared.Ensure(uFloats) : PackedFilters(filterBuffer, PackedRole.WinogradFilters, g, uFloats, out transform);
        if (transform) WinogradFilterTransform(g, w, job.U, job.Cp, job.Kp, flipped);
        long multiplyAdds = (long)WinogradPoints * g.N * job.TP * job.TQ * job.Cp * job.Kp;
        if (job.ImagesPerTask > 0) For((g.N + job.ImagesPerTask - 1) / job.ImagesPerTask, &WinogradImagesTask, &job, Parallel(multiplyAdds));
        else For(g.N * ((job.Bands + job.BandsPerTask - 1) / job.BandsPerTask), &WinogradTask, &job, Parallel(multiplyAdds));
    }

    /// <summary>
    /// Whole images per task, chunks of tiles running across them, where every thread still gets images and an
    /// image's staged input fits <see cref="WinogradStageFloats"/>: 1 to 4 images a task, whichever pads the fewest
    /// tiles of the last chunk to a whole register tile (ties: fewer images). 0: bands of tile rows instead.
    /// </summary>
    private int ImagesPerTask(in Conv2dGeometry g, int tp, int tq, int cp, int ws, int mo)
    {
        if (g.N < 2 * pool.Threads || (long)(tp * mo + g.R - 1) * ws * cp > WinogradStageFloats) return 0;
        int best = 1, imageTiles = tp * tq;
        double fewest = double.MaxValue;
        for (int images = 1; images <= 4 && images * 2 * pool.Threads <= g.N; images++)
        {
            int tiles = images * imageTiles;
            double padded = (double)(CpuGemm.RoundUp(tiles, MR) - tiles) / tiles; // chunks are whole register tiles but the last
            if (padded < fewest - 1e-9) { fewest = padded; best = images; }
        }
        return best;
    }

    /// <summary>
    /// U[ξ = a·6 + b][c][k] = (G g_kc Gᵀ)[a][b] as NR-filter panels (panel p: Cp rows of NR), zero past C and K,
    /// on vectors of L filters (each kernel's taps gathered into a column of a small block first).
    /// </summary>
    [SkipLocalsInit]
    private static void WinogradFilterTransform(in Conv2dGeometry g, float* w, float* u, int cp, int kp, bool flipped)
    {
        int r = g.R, rs = r * r, l = TVec.Count;
        long pointFloats = (long)cp * kp;
        new Span<float>(u, (int)(WinogradPoints * pointFloats)).Clear();
        float* gm = stackalloc float[WinogradAlpha * 5];
        WinogradG(r, gm);
        float* block = stackalloc float[25 * 16];   // taps × L filters
        TVec* half = stackalloc TVec[WinogradAlpha * 5];
        for (int k0 = 0; k0 < g.K; k0 += l)
        {
            int lanes = Math.Min(l, g.K - k0);
            if (lanes < l) new Span<float>(block, rs * l).Clear();
            for (int c = 0; c < g.C; c++)
            {
                // block[i][lane] = tap i of filter k0 + lane: w[k][c][i], or w[c][k][rs − 1 − i] when flipped (the
                // backward data's transposed, flipped filters).
                for (int lane = 0; lane < lanes; lane++)
                {
                    int k = k0 + lane;
                    if (flipped) { float* src = w + ((long)c * g.K + k) * rs + rs - 1; for (int i = 0; i < rs; i++) block[i * l + lane] = src[-i]; }
                    else { float* src = w + ((long)k * g.C + c) * rs; for (int i = 0; i < rs; i++) block[i * l + lane] = src[i]; }
                }
                for (int a = 0; a < WinogradAlpha; a++)
                    for (int s = 0; s < r; s++)
                    {
                        TVec sum = TVec.Zero;
                        for (int i = 0; i < r; i++) sum = TVec.MulAdd(TVec.Broadcast(gm[a * r + i]), TVec.Load(block + (i * r + s) * l), sum);
                        half[a * r + s] = sum;
                    }
                float* dst = u + (long)k0 / NR * cp * NR + (long)c * NR + k0 % NR;
                for (int a = 0; a < WinogradAlpha; a++)
                    for (int b = 0; b < WinogradAlpha; b++)
                    {
                        TVec sum = TVec.Zero;
                        for (int s = 0; s < r; s++) sum = TVec.MulAdd(half[a * r + s], TVec.Broadcast(gm[b * r + s]), sum);
                        TVec.Store(sum, dst + (a * WinogradAlpha + b) * pointFloats);
                    }
            }
        }
    }

    /// <summary>
    /// G for <paramref name="taps"/> taps (6 × taps, row-major): row a is the powers of point a divided by its scale,
    /// the point at infinity's row picks the last tap.
    /// </summary>
    private static void WinogradG(int taps, float* gm)
    {
        for (int a = 0; a < WinogradAlpha; a++)
            for (int j = 0; j < taps; j++)
                gm[a * taps + j] = a < WinogradAlpha - 1
                    ? (float)(Math.Pow(WinogradPointValues[a], j) / WinogradPointScales[a])
                    : (j == taps - 1 ? 1f : 0f);
    }

    [SkipLocalsInit]
    private static void WinogradTask(void* context, int task, int worker)
    {
        var job = (WinogradJob*)context;
        int groups = (job->Bands + job->BandsPerTask - 1) / job->BandsPerTask;
        int n = task / groups, b0 = task % groups * job->BandsPerTask, b1 = Math.Min(job->Bands, b0 + job->BandsPerTask);
        int gy0 = b0 * job->BandRows, gy1 = Math.Min(job->TP, b1 * job->BandRows);
        float* stage = job->Scratch + worker * job->WorkerStride;
        float* v = stage + job->StageFloats, m = v + job->VFloats, o = m + job->MFloats;
        float* tmp = stackalloc float[WinogradPoints * TVec.Count + 16]; // 64-byte aligned below
        tmp = (float*)(((nint)tmp + 63) & ~(nint)63);
        WinogradStage(job, n, gy0, gy1, stage);
        for (int ty0 = gy0; ty0 < gy1; ty0 += job->BandRows)
            WinogradBand(job, n, ty0, Math.Min(gy1, ty0 + job->BandRows), stage + (long)(ty0 - gy0) * job->Mo * job->Ws * job->Cp, v, m, o, tmp);
    }

    /// <summary>
    /// Tile rows [ty0, ty1) of image n from their staged input rows (<paramref name="stage"/>: input row
    /// ty0·m − padH first): input transform into V, the 36 GEMMs into M, output transform into y.
    /// </summary>
    private static void WinogradBand(WinogradJob* job, int n, int ty0, int ty1, float* stage, float* v, float* m, float* o, float* tmp)
    {
        ref readonly var g = ref job->G;
        int mo = job->Mo, tiles = (ty1 - ty0) * job->TQ;
        long rowFloats = (long)job->Ws * job->Cp;
        for (int t = 0; t < tiles; t++)
            WinogradInputTiles(job, v, t, stage + (t / job->TQ * mo) * rowFloats + (long)(t % job->TQ * mo) * job->Cp, tmp);
        WinogradGemm(job, v, m, tiles);
        int p0 = ty0 * mo, p1 = Math.Min(g.P, ty1 * mo);
        for (int t = 0; t < tiles; t++)
        {
            int oy = t / job->TQ * mo, ox = t % job->TQ * mo, rows = Math.Min(mo, p1 - p0 - oy), cols = Math.Min(mo, g.Q - ox);
            WinogradOutputTiles(job, m, t, o + ((long)oy * g.Q + ox) * job->Kp, rows, cols, tmp);
        }
        if (job->YBlocked) CopyToBlocks(o, job->Kp, job->Y + (long)n * g.K * g.P * g.Q, g.P * g.Q, p0 * g.Q, p1 * g.Q, g.K);
        else TransposeTile(o, job->Kp, job->Y + (long)n * g.K * g.P * g.Q, g.P * g.Q, p0 * g.Q, p1 * g.Q, g.K);
    }

    /// <summary>
    /// A few whole images (<see cref="WinogradJob.ImagesPerTask"/>) as one run of tiles, cut into chunks of
    /// <see cref="WinogradJob.TilesPad"/> that may span two images: convnet's 49 tiles an image fill a 14-row
    /// register tile exactly two images at a time, where image by image every fourth tile of the GEMM was padding.
    /// </summary>
    [SkipLocalsInit]
    private static void WinogradImagesTask(void* context, int task, int worker)
    {
        var job = (WinogradJob*)context;
        ref readonly var g = ref job->G;
        int n0 = task * job->ImagesPerTask, images = Math.Min(job->ImagesPerTask, g.N - n0);
        int mo = job->Mo, imageTiles = job->TP * job->TQ, total = images * imageTiles;
        long pq = (long)g.P * g.Q, imageFloats = job->StageFloats + ScratchMemory.Align(pq * job->Kp), rowFloats = (long)job->Ws * job->Cp;
        float* v = job->Scratch + worker * job->WorkerStride, m = v + job->VFloats, first = m + job->MFloats; // then per image: stage, outputs
        float* tmp = stackalloc float[WinogradPoints * TVec.Count + 16]; // 64-byte aligned below
        tmp = (float*)(((nint)tmp + 63) & ~(nint)63);
        for (int i = 0; i < images; i++) WinogradStage(job, n0 + i, 0, job->TP, first + i * imageFloats);
        for (int c0 = 0; c0 < total; c0 += job->TilesPad)
        {
            int tiles = Math.Min(job->TilesPad, total - c0);
            for (int t = 0; t < tiles; t++)
            {
                int u = c0 + t, local = u % imageTiles;
                float* stage = first + u / imageTiles * imageFloats;
                WinogradInputTiles(job, v, t, stage + (local / job->TQ * mo) * rowFloats + (long)(local % job->TQ * mo) * job->Cp, tmp);
            }
            WinogradGemm(job, v, m, tiles);
            for (int t = 0; t < tiles; t++)
            {
                int u = c0 + t, local = u % imageTiles, oy = local / job->TQ * mo, ox = local % job->TQ * mo;
                int rows = Math.Min(mo, g.P - oy), cols = Math.Min(mo, g.Q - ox);
                float* o = first + u / imageTiles * imageFloats + job->StageFloats;
                WinogradOutputTiles(job, m, t, o + ((long)oy * g.Q + ox) * job->Kp, rows, cols, tmp);
            }
        }
        for (int i = 0; i < images; i++)
            if (job->YBlocked) CopyToBlocks(first + i * imageFloats + job->StageFloats, job->Kp, job->Y + (n0 + i) * g.K * pq, (int)pq, 0, (int)pq, g.K);
            else TransposeTile(first + i * imageFloats + job->StageFloats, job->Kp, job->Y + (n0 + i) * g.K * pq, (int)pq, 0, (int)pq, g.K);
    }

    /// <summary>V[ξ][c / L][t][c % L] = (Bᵀ d B)[ξ] for tile t of a chunk, its 6×6 input at <paramref name="d"/> (channel-last), vectors of L channels.</summary>
    private static void WinogradInputTiles(WinogradJob* job, float* v, int t, float* d, float* tmp)
    {
        int cp = job->Cp;
        long pointStride = (long)cp * job->TilesPad, rowFloats = (long)job->Ws * cp;
        for (int c = 0; c < cp; c += TVec.Count)
            WinogradInputTile(d + c, rowFloats, cp, v + (long)c * job->TilesPad + (long)t * TVec.Count, pointStride, tmp);
    }

    /// <summary>
    /// M[ξ] (TilesPad × Kp) = V[ξ] · U[ξ] for a chunk of <paramref name="tiles"/> tiles (V's rows of padding tiles
    /// zeroed first): tile rows TVec.Count floats apart, channel c at c / L·TilesPad·L + c % L.
    /// </summary>
    [SkipLocalsInit]
    private static void WinogradGemm(WinogradJob* job, float* v, float* m, int tiles)
    {
        int cp = job->Cp, kp = job->Kp, tilesPad = job->TilesPad, l = TVec.Count;
        long pointStride = (long)cp * tilesPad;
        if (tiles < tilesPad)
            for (int p = 0; p < WinogradPoints * cp / l; p++)
                new Span<float>(v + (long)p * tilesPad * l + (long)tiles * l, (tilesPad - tiles) * l).Clear();
        int* off = stackalloc int[cp];
        for (int c = 0; c < cp; c++) off[c] = c / l * tilesPad * l + c % l;
        int panels = kp / NR, used = CpuGemm.RoundUp(tiles, MR);
        for (int xi = 0; xi < WinogradPoints; xi++)
        {
            float* vx = v + xi * pointStride, ux = job->U + (long)xi * cp * kp, mx = m + (long)xi * tilesPad * kp;
            for (int panel = 0; panel < panels; panel++)
                for (int t = 0; t < used; t += MR)
                    ImplicitTileRow<TileCountOfWidth<TVec>, TileRowsOf<TVec>>(cp, ux + (long)panel * cp * NR, off, vx + (long)t * l, mx + (long)t * kp + panel * NR, kp, 0);
        }
    }

    /// <summary>
    /// Aᵀ M_t A for tile t of a chunk, on vectors of L filters, with the bias and activation: its first
    /// <paramref name="rows"/> × <paramref name="cols"/> outputs into position-major rows at <paramref name="dst"/>
    /// (Q positions a row, Kp filters a position).
    /// </summary>
    private static void WinogradOutputTiles(WinogradJob* job, float* m, int t, float* dst, int rows, int cols, float* tmp)
    {
        int kp = job->Kp;
        for (int k = 0; k < kp; k += TVec.Count)
            WinogradOutputTile(job->Mo, m + (long)t * kp + k, (long)job->TilesPad * kp, dst + k, (long)job->G.Q * kp, kp, rows, cols,
                               job->Bias == null ? null : job->Bias + k, job->Relu, tmp);
    }

    /// <summary>
    /// The channel-blocked y's positions [s0, s1) of an image from the position-major tile (Kp filters a position):
    /// each position's vector of L filters is the block's vector at that position, so rows are copied a vector at a
    /// time, no transposes (filters past K, the panels' padding, are left).
    /// </summary>
    private static void CopyToBlocks(float* tile, int kPad, float* y, int pq, int s0, int s1, int filters)
    {
        int l = TVec.Count;
        for (int k = 0; k < filters; k += l)
        {
            float* dst = y + (long)k * pq + (long)s0 * l, src = tile + k;
            for (int j = 0; j < s1 - s0; j++) TVec.Store(TVec.Load(src + (long)j * kPad), dst + (long)j * l);
        }
    }

    /// <summary>
    /// The input rows of tile rows [ty0, ty1) of image n (from ty0·m − padH), channel-last with the channels padded
    /// to Cp and zeros around the image: stage[row][col][c] = x[n][c][ty0·m − padH + row][col − padW]. Only the
    /// padding is cleared; the image's values are copied in 8 × 8 transposes (the last block of a row overlapping
    /// the one before it).
    /// </summary>
    private static void WinogradStage(WinogradJob* job, int n, int ty0, int ty1, float* stage)
    {
        ref readonly var g = ref job->G;
        float* image = job->X + (long)n * g.C * g.H * g.W;
        int iy0 = ty0 * job->Mo - g.PadH, rows = (ty1 - ty0) * job->Mo + g.R - 1;
        if (job->XBlock != 0) StageFromBlocks(image, g.C, g.H, g.W, g.PadW, iy0, rows, job->Ws, job->Cp, job->XBlock, stage);
        else StageChannelLast(image, g.C, g.H, g.W, g.PadW, iy0, rows, job->Ws, job->Cp, stage);
    }

    /// <summary>
    /// The zeros of a stage (<see cref="StageChannelLast"/>): the rows outside the image whole, and in the image's rows
    /// [<paramref name="r0"/>, <paramref name="r1"/>) the columns around it (or the whole row, when channels are padded).
    /// </summary>
    private static void ClearStagePadding(int channels, int h, int w, int padW, int iy0, int rows, int ws, int cp, float* stage, out int r0, out int r1)
    {
        long rowFloats = (long)ws * cp;
        r0 = Math.Clamp(-iy0, 0, rows);
        r1 = Math.Clamp(h - iy0, r0, rows);
        new Span<float>(stage, (int)(r0 * rowFloats)).Clear();
        new Span<float>(stage + r1 * rowFloats, (int)((rows - r1) * rowFloats)).Clear();
        for (int r = r0; r < r1; r++)
        {
            float* row = stage + r * rowFloats;
            if (channels < cp) new Span<float>(row, (int)rowFloats).Clear();
            else
            {
                new Span<float>(row, padW * cp).Clear();
                new Span<float>(row + (long)(padW + w) * cp, (ws - padW - w) * cp).Clear();
            }
        }
    }

    /// <summary>
    /// <see cref="StageChannelLast"/> from a channel-blocked image (blocks of <paramref name="block"/> channels, 8 or 16):
    /// each position's block is already a vector of channels, so the rows are copied a vector at a time.
    /// </summary>
    private static void StageFromBlocks(float* image, int channels, int h, int w, int padW, int iy0, int rows, int ws, int cp, int block, float* stage)
    {
        long rowFloats = (long)ws * cp, plane = (long)h * w * block;
        ClearStagePadding(channels, h, w, padW, iy0, rows, ws, cp, stage, out int r0, out int r1);
        for (int r = r0; r < r1; r++)
        {
            float* dst = stage + r * rowFloats + (long)padW * cp;
            for (int c = 0; c < channels; c += block)
            {
                float* src = image + c / block * plane + (long)(iy0 + r) * w * block;
                for (int x = 0; x < w; x++)
                    for (int b = 0; b < block; b += 8)
                        Vector256.Store(Vector256.Load(src + (long)x * block + b), dst + (long)x * cp + c + b);
            }
        }
    }

    /// <summary>
    /// stage[row][col][c] = image[c][iy0 + row][col − padW] for <paramref name="rows"/> rows of <paramref name="ws"/>
    /// columns and <paramref name="cp"/> channels, zero outside the image's h × w and past its channels. Only the
    /// zeros are cleared; the values are copied in 8 × 8 transposes (a row's last block overlapping the one before).
    /// </summary>
    private static void StageChannelLast(float* image, int channels, int h, int w, int padW, int iy0, int rows, int ws, int cp, float* stage)
    {
        long rowFloats = (long)ws * cp, hw = (long)h * w;
        ClearStagePadding(channels, h, w, padW, iy0, rows, ws, cp, stage, out int r0, out int r1);
        int c8 = Avx.IsSupported && w >= 8 ? channels / 8 * 8 : 0;
        for (int r = r0; r < r1; r++)
        {
            float* row = stage + r * rowFloats;
            float* src = image + (long)(iy0 + r) * w, dst = row + (long)padW * cp;
            for (int c = 0; c < c8; c += 8)
                for (int x = 0; x < w; x += 8)
                {
                    int xb = Math.Min(x, w - 8);
                    CpuGemmPacking<TVec>.Transpose8x8(src + c * hw + xb, (int)hw, dst + (long)xb * cp + c, cp);
                }
            for (int c = c8; c < channels; c++)
                for (int x = 0; x < w; x++) dst[(long)x * cp + c] = src[c * hw + x];
        }
    }

    /// <summary>
    /// dst[ξ·pointStride] = (Bᵀ d B)[ξ] for the 6×6 tile d[i][j] = d[i·rowStride + j·colStride], a vector of channels each.
    /// </summary>
    private static void WinogradInputTile(float* d, long rowStride, int colStride, float* dst, long pointStride, float* tmp)
    {
        int l = TVec.Count;
        for (int j = 0; j < WinogradAlpha; j++)
        {
            float* s = d + (long)j * colStride;
            InputTransform1D(TVec.Load(s), TVec.Load(s + rowStride), TVec.Load(s + 2 * rowStride), TVec.Load(s + 3 * rowStride),
                             TVec.Load(s + 4 * rowStride), TVec.Load(s + 5 * rowStride), tmp + j * l, WinogradAlpha * l);
        }
        for (int i = 0; i < WinogradAlpha; i++)
        {
            float* s = tmp + i * WinogradAlpha * l;
            InputTransform1D(TVec.Load(s), TVec.Load(s + l), TVec.Load(s + 2 * l), TVec.Load(s + 3 * l), TVec.Load(s + 4 * l), TVec.Load(s + 5 * l),
                             dst + i * WinogradAlpha * pointStride, pointStride);
        }
    }

    /// <summary>t = Bᵀ d for one column of six vectors, stored <paramref name="stride"/> floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform1D(TVec d0, TVec d1, TVec d2, TVec d3, TVec d4, TVec d5, float* t, long stride)
    {
        TVec two = TVec.Broadcast(2f), four = TVec.Broadcast(4f), minusFive = TVec.Broadcast(-5f);
        TVec.Store(TVec.MulAdd(four, d0, TVec.MulAdd(minusFive, d2, d4)), t);
        TVec.Store(TVec.MulAdd(four, d1 + d2, -(d3 + d4)), t + stride);
        TVec.Store(TVec.MulAdd(four, d2 - d1, d3 - d4), t + 2 * stride);
        TVec.Store(TVec.MulAdd(two, d3 - d1, d4 - d2), t + 3 * stride);
        TVec.Store(TVec.MulAdd(two, d1 - d3, d4 - d2), t + 4 * stride);
        TVec.Store(TVec.MulAdd(four, d1, TVec.MulAdd(minusFive, d3, d5)), t + 5 * stride);
    }

    /// <summary>
    /// The first <paramref name="rows"/> × <paramref name="cols"/> of Y = Aᵀ M A (m×m) for the 6×6 points
    /// M[ξ] = m[ξ·pointStride], a vector of filters each, plus the bias, through the activation, into
    /// dst[i·rowStride + j·colStride].
    /// </summary>
    private static void WinogradOutputTile(int mo, float* m, long pointStride, float* dst, long rowStride, int colStride, int rows, int cols,
                                           float* bias, bool relu, float* tmp)
    {
        int l = TVec.Count;
        // tmp[i][j] = (Aᵀ M)[i][j]: each column of six points to m values.
        for (int j = 0; j < WinogradAlpha; j++)
        {
            float* s = m + j * pointStride;
            long ps = WinogradAlpha * pointStride;
            OutputTransform1D(mo, TVec.Load(s), TVec.Load(s + ps), TVec.Load(s + 2 * ps), TVec.Load(s + 3 * ps), TVec.Load(s + 4 * ps),
                              TVec.Load(s + 5 * ps), tmp + j * l, WinogradAlpha * l);
        }
        TVec b = bias == null ? TVec.Zero : TVec.Load(bias);
        float* row = tmp + 4 * WinogradAlpha * l; // the m rows of (Aᵀ M) A, at most 4 × 4 vectors, after the m × 6 above
        for (int i = 0; i < rows; i++)
        {
            float* s = tmp + i * WinogradAlpha * l;
            OutputTransform1D(mo, TVec.Load(s), TVec.Load(s + l), TVec.Load(s + 2 * l), TVec.Load(s + 3 * l), TVec.Load(s + 4 * l), TVec.Load(s + 5 * l), row, l);
            for (int j = 0; j < cols; j++)
            {
                TVec y = TVec.Load(row + j * l);
                if (bias != null) y += b;
                TVec.Store(Epilogue(y, relu), dst + i * rowStride + (long)j * colStride);
            }
        }
    }

    /// <summary>y = Aᵀ m for six vectors: 2 values (5×5 filters) or 4 (3×3), stored <paramref name="stride"/> floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform1D(int mo, TVec m0, TVec m1, TVec m2, TVec m3, TVec m4, TVec m5, float* y, long stride)
    {
        TVec s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4, two = TVec.Broadcast(2f);
        TVec.Store(m0 + s12 + s34, y);
        if (mo == 2)
        {
            TVec.Store(TVec.MulAdd(two, d34, d12 + m5), y + stride);
            return;
        }
        TVec.Store(TVec.MulAdd(two, d34, d12), y + stride);
        TVec.Store(TVec.MulAdd(TVec.Broadcast(4f), s34, s12), y + 2 * stride);
        TVec.Store(TVec.MulAdd(TVec.Broadcast(8f), d34, d12 + m5), y + 3 * stride);
    }
}
