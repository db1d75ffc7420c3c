using System.Runtime.CompilerServices;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The backward filter of the Winograd layers (CpuConv2d.Winograd.cs): dw[k][c] = Σ_n Σ_tiles dy_t ⋆ x_t is, per
/// tile, a correlation of the 6×6 input tile with the m×m tile of dy, producing all R×R taps: F(R×R, m×m) on the
/// same six points, dw_t = A'ᵀ[(G' dy_t G'ᵀ) ⊙ (Bᵀ d_t B)]A' with the forward's Bᵀ, G' the points' powers up to
/// m − 1 (divided by the same scales, applied once at the end) and A'ᵀ their powers up to R − 1. Summed over tiles and images in the
/// transformed domain, it is 36 GEMMs reducing over tiles: M[ξ] (K × C) += D[ξ] (K × tiles) · V[ξ] (tiles × C), and
/// A'ᵀ M A' once at the end: 2.8× (5×5) and 4× (3×3) fewer multiplies than a direct sum.
/// <para>
/// Images go to a fixed number of slots (each its own M, added in order at the end) as on the other paths, so every
/// thread count gives the same bits. Per image, tile rows are taken in bands whose transforms stay in L2: x and dy
/// staged channel-last (dy zero past P and Q, so partial edge tiles add nothing), V on vectors of channels into
/// NR-channel panels, D on vectors of filters (rows of filters, broadcast by the implicit path's register tile).
/// </para>
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>
{
    private struct WinogradFilterJob
    {
        public Conv2dGeometry G;
        public int Mo;                 // dy positions per tile side: 2 (5×5) or 4 (3×3)
        public int Cpp, Kd, Kr;        // channels in NR panels; filters in vectors; rows of D (zero past Kd)
        public int TP, TQ, BandRows, Bands, BandsPerGroup, Ws, Wd, Slots;
        public float* X, Dy, Dw, Partials, Scratch;
        public long WorkerStride, XStageFloats, DyStageFloats, VFloats, DFloats, PartialFloats;
        public fixed float At[5 * WinogradAlpha];     // A'ᵀ: R × 6, the points' powers up to R − 1
        public fixed float Scale[WinogradPoints];     // 1 / (s_a · s_b): the dy transform's row scales, per point
    }

    /// <summary>dw += the filters' gradient, db += Σ dy (when not null), by Winograd tiles.</summary>
    private void WinogradBackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db)
    {
        var job = new WinogradFilterJob { G = g, Mo = WinogradOutputs(g.R), X = x, Dy = dy, Dw = dw };
        job.Cpp = CpuGemm.RoundUp(g.C, NR);
        job.Kd = CpuGemm.RoundUp(g.K, TVec.Count);
        job.Kr = CpuGemm.RoundUp(job.Kd, MR);
        job.TP = (g.P + job.Mo - 1) / job.Mo;
        job.TQ = (g.Q + job.Mo - 1) / job.Mo;
        job.Ws = job.TQ * job.Mo + g.S - 1;
        job.Wd = job.TQ * job.Mo;
        job.BandRows = Math.Clamp(WinogradBandFloats / (WinogradPoints * (job.Cpp + job.Kr)) / job.TQ, 1, job.TP);
        job.Bands = (job.TP + job.BandRows - 1) / job.BandRows;
        long xRow = (long)job.Ws * job.Cpp;
        job.BandsPerGroup = (int)Math.Clamp((WinogradStageFloats / xRow - (g.R - 1)) / (job.BandRows * job.Mo), 1, job.Bands);
        int groupRows = job.BandsPerGroup * job.BandRows * job.Mo;
        job.XStageFloats = ScratchMemory.Align((groupRows + g.R - 1) * xRow);
        job.DyStageFloats = ScratchMemory.Align((long)groupRows * job.Wd * job.Kd);
        int bandTiles = job.BandRows * job.TQ;
        job.VFloats = ScratchMemory.Align((long)WinogradPoints * job.Cpp * bandTiles);
        job.DFloats = ScratchMemory.Align((long)WinogradPoints * bandTiles * job.Kr);
        job.WorkerStride = job.XStageFloats + job.DyStageFloats + job.VFloats + job.DFloats;
        job.Scratch = perWorker.Ensure(job.WorkerStride * pool.Threads);
        job.Slots = Math.Min(g.N, Math.Max(FilterSlots, pool.Threads));
        job.PartialFloats = (long)WinogradPoints * job.Kr * job.Cpp;
        job.Partials = shared.Ensure(job.Slots * job.PartialFloats);
        for (int i = 0; i < g.R; i++)
            for (int a = 0; a < WinogradAlpha; a++)
                job.At[i * WinogradAlpha + a] = a < WinogradAlpha - 1 ? (float)Math.Pow(WinogradPointValues[a], i) : (i == g.R - 1 ? 1f : 0f);
        for (int a = 0; a < WinogradAlpha; a++)
            for (int b = 0; b < WinogradAlpha; b++)
                job.Scale[a * WinogradAlpha + b] = (float)(1 / ((a < WinogradAlpha - 1 ? WinogradPointScales[a] : 1) * (b < WinogradAlpha - 1 ? WinogradPointScales[b] : 1)));
        For(job.Slots, &WinogradFilterSlotTask, &job, pool.Threads > 1 && job.Slots > 1);
        For(g.K, &WinogradFilterOutputTask, &job, pool.Threads > 1);
        if (db != null) BiasGradient(g, dy, db);
    }

    [SkipLocalsInit]
    private static void WinogradFilterSlotTask(void* context, int slot, int worker)
    {
        var job = (WinogradFilterJob*)context;
        ref readonly var g = ref job->G;
        int mo = job->Mo, cpp = job->Cpp, kd = job->Kd, kr = job->Kr, tq = job->TQ;
        float* xs = job->Scratch + worker * job->WorkerStride, ds = xs + job->XStageFloats, v = ds + job->DyStageFloats, d = v + job->VFloats;
        float* partial = job->Partials + slot * job->PartialFloats;
        new Span<float>(partial, (int)job->PartialFloats).Clear();
        new Span<float>(d, (int)job->DFloats).Clear(); // D's rows past Kd are never written
        float* tmp = stackalloc float[WinogradPoints * TVec.Count + 16];
        tmp = (float*)(((nint)tmp + 63) & ~(nint)63);
        int* off = stackalloc int[job->BandRows * tq];
        for (int t = 0; t < job->BandRows * tq; t++) off[t] = t * kr;
        long xRow = (long)job->Ws * cpp, dRow = (long)job->Wd * kd;
        int n0 = (int)((long)slot * g.N / job->Slots), n1 = (int)((long)(slot + 1) * g.N / job->Slots);
        for (int n = n0; n < n1; n++)
            for (int b0 = 0; b0 < job->Bands; b0 += job->BandsPerGroup)
            {
                int gy0 = b0 * job->BandRows, gy1 = Math.Min(job->TP, (b0 + job->BandsPerGroup) * job->BandRows);
                StageChannelLast(job->X + (long)n * g.C * g.H * g.W, g.C, g.H, g.W, g.PadW, gy0 * mo - g.PadH, (gy1 - gy0) * mo + g.R - 1,
                                 job->Ws, cpp, xs);
                StageChannelLast(job->Dy + (long)n * g.K * g.P * g.Q, g.K, g.P, g.Q, 0, gy0 * mo, (gy1 - gy0) * mo, job->Wd, kd, ds);
                for (int ty0 = gy0; ty0 < gy1; ty0 += job->BandRows)
                {
                    int tiles = (Math.Min(gy1, ty0 + job->BandRows) - ty0) * tq;
                    float* xb = xs + (ty0 - gy0) * mo * xRow, db = ds + (ty0 - gy0) * mo * dRow;
                    // V[ξ][c / NR][t][c % NR] = (Bᵀ d_t B)[ξ]; D[ξ][t][k] = (G' dy_t G'ᵀ)[ξ].
                    long vPoint = (long)cpp * tiles, dPoint = (long)tiles * kr;
                    for (int t = 0; t < tiles; t++)
                    {
                        float* src = xb + t / tq * mo * xRow + (long)(t % tq * mo) * cpp;
                        for (int c = 0; c < cpp; c += TVec.Count)
                            WinogradInputTile(src + c, xRow, cpp, v + (long)c / NR * tiles * NR + (long)t * NR + c % NR, vPoint, tmp);
                        float* dsrc = db + t / tq * mo * dRow + (long)(t % tq * mo) * kd;
                        for (int k = 0; k < kd; k += TVec.Count)
                            WinogradDyTile(mo, dsrc + k, dRow, kd, d + (long)t * kr + k, dPoint, tmp);
                    }
                    // M[ξ][k][c] += Σ_t D[ξ][t][k] · V[ξ][t][c]: rows of filters a step apart, tile t at t·Kr.
                    for (int xi = 0; xi < WinogradPoints; xi++)
                    {
                        float* vx = v + xi * vPoint, dx = d + xi * dPoint, mx = partial + (long)xi * kr * cpp;
                        for (int k = 0; k < g.K; k += MR)
                            for (int p = 0; p < cpp; p += NR)
                                FilterRows(Math.Min(MR, g.K - k), tiles, vx + (long)p * tiles, off, dx + k, mx + (long)k * cpp + p, cpp);
                    }
                }
            }
    }

    /// <summary>
    /// M[k..k+rows) += D · V for one panel of channels: a full register tile, or for the last filters of a layer
    /// (K not a multiple of MR: 32 = 14 + 14 + 4, 64 = 4·14 + 8) a tile of just enough rows from 2, 3, 4, 6 or 8,
    /// instead of MR rows of which up to a third would be padding.
    /// </summary>
    private static void FilterRows(int rows, int tiles, float* bp, int* off, float* a0, float* c, int ldc)
    {
        if (rows >= MR || rows > 8) ImplicitTileRow<TileCount1, TileRowsOf<TVec>>(tiles, bp, off, a0, c, ldc, 1);
        else if (rows <= 2) ImplicitTileRow<TileCount1, TileCount2>(tiles, bp, off, a0, c, ldc, 1);
        else if (rows == 3) ImplicitTileRow<TileCount1, TileCount3>(tiles, bp, off, a0, c, ldc, 1);
        else if (rows == 4) ImplicitTileRow<TileCount1, TileCount4>(tiles, bp, off, a0, c, ldc, 1);
        else if (rows <= 6) ImplicitTileRow<TileCount1, TileCount6>(tiles, bp, off, a0, c, ldc, 1);
        else ImplicitTileRow<TileCount1, TileCount8>(tiles, bp, off, a0, c, ldc, 1);
    }

    /// <summary>
    /// dst[ξ·pointStride] = (Ĝ dy Ĝᵀ)[ξ] for the m×m tile dy[i][j] = dy[i·rowStride + j·colStride], a vector of filters
    /// each, where Ĝ is G' without its rows' scales (the points' powers: additions and doublings only); the scales
    /// are applied to M once per filter and channel (<see cref="WinogradFilterOutputTask"/>).
    /// </summary>
    private static void WinogradDyTile(int mo, float* dy, long rowStride, int colStride, float* dst, long pointStride, float* tmp)
    {
        int l = TVec.Count;
        for (int j = 0; j < mo; j++)
        {
            float* s = dy + (long)j * colStride;
            DyTransform1D(mo, TVec.Load(s), TVec.Load(s + rowStride), mo > 2 ? TVec.Load(s + 2 * rowStride) : TVec.Zero,
                          mo > 2 ? TVec.Load(s + 3 * rowStride) : TVec.Zero, tmp + j * l, mo * l);
        }
        for (int a = 0; a < WinogradAlpha; a++)
        {
            float* s = tmp + a * mo * l;
            DyTransform1D(mo, TVec.Load(s), TVec.Load(s + l), mo > 2 ? TVec.Load(s + 2 * l) : TVec.Zero, mo > 2 ? TVec.Load(s + 3 * l) : TVec.Zero,
                          dst + a * WinogradAlpha * pointStride, pointStride);
        }
    }

    /// <summary>Ĝ g for m = 2 or 4 values (the points 0, ±1, ±2, ∞), six outputs <paramref name="stride"/> floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DyTransform1D(int mo, TVec g0, TVec g1, TVec g2, TVec g3, float* t, long stride)
    {
        TVec two = TVec.Broadcast(2f);
        if (mo == 2)
        {
            TVec.Store(g0, t);
            TVec.Store(g0 + g1, t + stride);
            TVec.Store(g0 - g1, t + 2 * stride);
            TVec.Store(TVec.MulAdd(two, g1, g0), t + 3 * stride);
            TVec.Store(TVec.MulAdd(-two, g1, g0), t + 4 * stride);
            TVec.Store(g1, t + 5 * stride);
            return;
        }
        TVec even = g0 + g2, odd = g1 + g3, even4 = TVec.MulAdd(TVec.Broadcast(4f), g2, g0), odd4 = TVec.MulAdd(TVec.Broadcast(4f), g3, g1);
        TVec.Store(g0, t);
        TVec.Store(even + odd, t + stride);
        TVec.Store(even - odd, t + 2 * stride);
        TVec.Store(TVec.MulAdd(two, odd4, even4), t + 3 * stride);
        TVec.Store(TVec.MulAdd(-two, odd4, even4), t + 4 * stride);
        TVec.Store(g3, t + 5 * stride);
    }

    /// <summary>
    /// dw[k][c] += A'ᵀ M A' for filter k, vectors of channels: M summed over the slots in order, the R×R taps added
    /// lane by lane into dw's kernels.
    /// </summary>
    [SkipLocalsInit]
    private static void WinogradFilterOutputTask(void* context, int k, int worker)
    {
        var job = (WinogradFilterJob*)context;
        ref readonly var g = ref job->G;
        int r = g.R, l = TVec.Count, rs = r * r;
        float* at = job->At, scale = job->Scale;
        float* buffer = stackalloc float[(WinogradPoints + 5 * WinogradAlpha + 25) * TVec.Count + 16];
        float* m = (float*)(((nint)buffer + 63) & ~(nint)63), z = m + WinogradPoints * l, y = z + 5 * WinogradAlpha * l;
        long point = (long)job->Kr * job->Cpp;
        for (int c0 = 0; c0 < g.C; c0 += l)
        {
            float* src = job->Partials + (long)k * job->Cpp + c0;
            for (int xi = 0; xi < WinogradPoints; xi++)
            {
                TVec sum = TVec.Load(src + xi * point);
                for (int s = 1; s < job->Slots; s++) sum += TVec.Load(src + s * job->PartialFloats + xi * point);
                TVec.Store(sum * TVec.Broadcast(scale[xi]), m + xi * l);
            }
            // z[i][b] = Σ_a A'ᵀ[i][a] M[a][b]; y[i][j] = Σ_b z[i][b] A'ᵀ[j][b].
            for (int i = 0; i < r; i++)
                for (int b = 0; b < WinogradAlpha; b++)
                {
                    TVec sum = TVec.Zero;
                    for (int a = 0; a < WinogradAlpha; a++) sum = TVec.MulAdd(TVec.Broadcast(at[i * WinogradAlpha + a]), TVec.Load(m + (a * WinogradAlpha + b) * l), sum);
                    TVec.Store(sum, z + (i * WinogradAlpha + b) * l);
                }
            for (int i = 0; i < r; i++)
                for (int j = 0; j < r; j++)
                {
                    TVec sum = TVec.Zero;
                    for (int b = 0; b < WinogradAlpha; b++) sum = TVec.MulAdd(TVec.Load(z + (i * WinogradAlpha + b) * l), TVec.Broadcast(at[j * WinogradAlpha + b]), sum);
                    TVec.Store(sum, y + (i * r + j) * l);
                }
            int lanes = Math.Min(l, g.C - c0);
            for (int lane = 0; lane < lanes; lane++)
            {
                float* kernel = job->Dw + ((long)k * g.C + c0 + lane) * rs;
                for (int t = 0; t < rs; t++) kernel[t] += y[t * l + lane];
            }
        }
    }
}
