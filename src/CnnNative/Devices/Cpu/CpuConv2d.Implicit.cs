using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// Stride-1 forward as an implicit GEMM with the roles of the lowering path swapped: rows are output positions,
/// columns are filters, Yᵀ (P·Q × K) = X̂ (P·Q × C·R·S) · Wᵀ. Nothing is lowered: the 6×16 register tile broadcasts
/// its six A values straight from the zero-padded image, x̂[j][t] = xpad[base(j) + off(t)] with
/// base(j) = p·Wp + q and off(c, r, s) = c·Hp·Wp + r·Wp + s, MR independent bases so a tile may cross output
/// rows. Wᵀ is packed once per call as NR-filter panels (16 with Vector256, 32 with Vector512; the tile is then 14 × 32). Filters come in multiples of 16 for the networks that
/// matter (16, 32, 64, 128) and 6-position tiles leave at most 5 positions idle per image, so almost no work is
/// padding, unlike the lowering path's 6-filter × 16-position tiles on 14×14 outputs (196 = 12·16 + 4).
/// The tile accumulates into a position-major scratch block, transposed into y (with the bias) at the end.
/// The same tile serves backward data (a forward with transposed, flipped filters, for same-padded layers) and,
/// turned around, backward filter (rows = taps, sum over positions); see <see cref="ImplicitBackwardFilter"/>.
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>
{
    /// <summary>Taps per k block: a 256 × 16 panel of Wᵀ (16 KiB) stays in L1 across an image's tiles.</summary>
    private const int ImplicitKc = CpuGemm.KC;

    /// <summary>Positions computed together through all k blocks: a multiple of MR near 96 (96 or 84).</summary>
    private static int ImplicitSpan => 96 / MR * MR;

    private struct ImplicitJob
    {
        public Conv2dGeometry G;
        public DirectJob M;              // padded planes and tap offsets, shared with the direct path
        public float* PackedW, Bias, Y, Scratch;
        public long WorkerStride;
        public int KPad, Panels, Chunks, ChunkPositions;
        public bool Relu;
    }

    /// <summary>
    /// y = conv(x, w) + bias by the implicit GEMM. With <paramref name="flipped"/>, w holds the filters of the
    /// convolution whose backward data this is (K = g.C, C = g.K), used transposed and flipped; see
    /// <see cref="CpuConv2dPlanner.BackwardData"/>.
    /// </summary>
    private void ImplicitForward(in Conv2dGeometry g, float* x, float* w, float* bias, float* y, bool flipped = false, bool relu = false,
                                 DeviceBuffer? filterBuffer = null)
    {
        var job = new ImplicitJob { G = g, M = DirectSetup(g), Bias = bias, Y = y, Relu = relu };
        job.M.X = x;
        int taps = job.M.Taps;
        int* offsets = stackalloc int[job.M.TapsPad];
        TapOffsets(ref job.M, offsets);
        job.KPad = CpuGemm.RoundUp(g.K, NR);
        job.Panels = job.KPad / NR;
        // Wᵀ packed per k block: block at pc holds Panels panels of kc × 16, zero past K (filters flipped first if asked).
        long packedFloats = ScratchMemory.Align((long)taps * job.KPad);
        bool pack = true;
        if (flipped) job.PackedW = shared.Ensure(packedFloats + (long)g.K * taps);
        else job.PackedW = PackedFilters(filterBuffer, PackedRole.ImplicitFilters, g, packedFloats, out pack);
        float* filters = w;
        if (flipped)
        {
            // filters[k][c][r][s] = w[c][k][R−1−r][S−1−s]: each (k, c) kernel copied reversed.
            filters = job.PackedW + packedFloats;
            int rs = g.R * g.S;
            for (int k = 0; k < g.K; k++)
                for (int c = 0; c < g.C; c++)
                {
                    float* src = w + ((long)c * g.K + k) * rs + rs - 1, dst = filters + ((long)k * g.C + c) * rs;
                    for (int i = 0; i < rs; i++) dst[i] = src[-i];
                }
        }
        if (pack)
            for (int pc = 0; pc < taps; pc += ImplicitKc)
                CpuGemmPacking<TVec>.PackB(job.PackedW + (long)pc * job.KPad, filters, taps, true, pc, Math.Min(ImplicitKc, taps - pc), 0, g.K);
        // Whole images per task when there are enough of them; otherwise positions are split (no sum changes order).
        int pq = g.P * g.Q;
        job.Chunks = g.N >= pool.Threads ? 1 : Math.Min((pool.Threads + g.N - 1) / g.N, (pq + MR - 1) / MR);
        job.ChunkPositions = CpuGemm.RoundUp((pq + job.Chunks - 1) / job.Chunks, MR);
        job.Chunks = (pq + job.ChunkPositions - 1) / job.ChunkPositions;
        job.WorkerStride = job.M.PlaneFloats + ScratchMemory.Align((long)ImplicitSpan * job.KPad);
        job.Scratch = perWorker.Ensure(job.WorkerStride * pool.Threads);
        For(g.N * job.Chunks, &ImplicitTask, &job, Parallel((long)g.K * taps * pq * g.N));
    }

    [SkipLocalsInit]
    private static void ImplicitTask(void* context, int task, int worker)
    {
        var job = (ImplicitJob*)context;
        ref readonly var g = ref job->G;
        int n = task / job->Chunks, pq = g.P * g.Q, taps = job->M.Taps, kPad = job->KPad;
        int j0 = task % job->Chunks * job->ChunkPositions, j1 = Math.Min(pq, j0 + job->ChunkPositions);
        float* plane = job->Scratch + worker * job->WorkerStride;
        float* tile = plane + job->M.PlaneFloats; // ImplicitSpan positions × KPad filters
        PadImage(ref job->M, n, plane);
        float** a = stackalloc float*[MR];
        // Positions in spans, each span through every k block and panel: the span's block of Yᵀ (span × KPad) stays
        // in L1 across the k blocks, where a whole image's (3136 × 64 floats for 56×56) would go back and forth to L3.
        for (int s0 = j0; s0 < j1; s0 += ImplicitSpan)
        {
            int s1 = Math.Min(j1, s0 + ImplicitSpan);
            for (int pc = 0; pc < taps; pc += ImplicitKc)
            {
                int kc = Math.Min(ImplicitKc, taps - pc);
                int* off = job->M.Offsets + pc;
                float* block = job->PackedW + (long)pc * kPad;
                for (int panel = 0; panel < job->Panels; panel++)
                {
                    float* bp = block + (long)panel * kc * NR;
                    for (int j = s0; j < s1; j += MR)
                    {
                        int mr = Math.Min(MR, s1 - j);
                        float* c = tile + (long)(j - s0) * kPad + panel * NR;
                        if (mr == MR && j / g.Q == (j + MR - 1) / g.Q)
                        {
                            ImplicitTileRow<TileCount1, TileRowsOf<TVec>>(kc, bp, off, plane + j / g.Q * job->M.Wp + j % g.Q, c, kPad, pc == 0 ? 0 : 1);
                            continue;
                        }
                        for (int i = 0; i < MR; i++)
                        {
                            int jj = j + Math.Min(i, mr - 1); // idle rows repeat the last position and are not stored
                            a[i] = plane + jj / g.Q * job->M.Wp + jj % g.Q;
                        }
                        ImplicitTile(kc, bp, off, a, c, kPad, pc == 0 ? 0 : 1, mr);
                    }
                }
            }
            // y[n][k][j] = f(tile[j − s0][k] + bias[k]): bias and activation on the tile's contiguous rows, then transposed.
            if (job->Bias != null || job->Relu)
                for (int j = s0; j < s1; j++) BiasActivateRow(tile + (long)(j - s0) * kPad, job->Bias, g.K, job->Relu);
            float* y = job->Y + (long)n * g.K * pq;
            TransposeTile(tile, kPad, y, pq, s0, s1, g.K);
        }
    }

    /// <summary>
    /// y[k][j] = tile[j − s0][k] for k &lt; K, j in [s0, s1): 8 × 8 blocks by AVX shuffles (the tile is position-major,
    /// y filter-major), the edges one by one.
    /// </summary>
    private static void TransposeTile(float* tile, int kPad, float* y, int pq, int s0, int s1, int filters)
    {
        int k8 = System.Runtime.Intrinsics.X86.Avx.IsSupported ? filters / 8 * 8 : 0, j8 = s0 + (s1 - s0) / 8 * 8;
        for (int k = 0; k < k8; k += 8)
        {
            int j = s0;
            for (; j < j8; j += 8) CpuGemmPacking<TVec>.Transpose8x8(tile + (long)(j - s0) * kPad + k, kPad, y + (long)k * pq + j, pq);
            for (int kk = k; kk < k + 8; kk++)
                for (int jj = j; jj < s1; jj++) y[(long)kk * pq + jj] = tile[(long)(jj - s0) * kPad + kk];
        }
        for (int k = k8; k < filters; k++)
            for (int j = s0; j < s1; j++) y[(long)k * pq + j] = tile[(long)(j - s0) * kPad + k];
    }

    /// <summary>row[k] = f(row[k] + bias[k]) for k &lt; K (bias may be null): vectors over the filters, the tail one by one.</summary>
    private static void BiasActivateRow(float* row, float* bias, int k, bool relu)
    {
        int i = 0;
        for (; i <= k - TVec.Count; i += TVec.Count)
        {
            var v = TVec.Load(row + i);
            if (bias != null) v += TVec.Load(bias + i);
            TVec.Store(Epilogue(v, relu), row + i);
        }
        for (; i < k; i++) row[i] = Epilogue(bias == null ? row[i] : row[i] + bias[i], relu);
    }

    // ------------------------------------------------------------------ backward filter

    private struct ImplicitFilterJob
    {
        public Conv2dGeometry G;
        public DirectJob M;
        public float* Dy, Partials, Scratch;
        public int* Bases;
        public long WorkerStride;
        public int KPad, Panels, Slots;
        /// <summary>Filters per panel: NR, or one vector (16) where a 512-bit device's 32-wide panel would idle half (K ≤ 16).</summary>
        public int PanelWidth;
        public readonly long PartialFloats => (long)M.Taps * KPad;
    }

    /// <summary>
    /// dWᵀ (C·R·S × K) = Σ_n X̂_nᵀ · dy_nᵀ, the forward's tile turned around: rows are 6 taps, columns 16 filters,
    /// and the sum runs over output positions j, each tap's value broadcast from xpad[off(t) + base(j)] (six tap
    /// pointers, one table of position bases) and dyᵀ packed per image as 16-filter panels. No lowering, no
    /// horizontal sums, no wide-row waste. Images go to a fixed number of slots (partial sums added in order at the
    /// end), as on the other paths, so every thread count gives the same bits.
    /// </summary>
    private void ImplicitBackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db)
    {
        var job = new ImplicitFilterJob { G = g, M = DirectSetup(g), Dy = dy };
        job.M.X = x;
        int* offsets = stackalloc int[job.M.TapsPad];
        TapOffsets(ref job.M, offsets);
        int pq = g.P * g.Q;
        job.PanelWidth = CpuConv2dPlanner.FilterHalfPanels(g, paths, Isa) ? TVec.Count : NR;
        job.KPad = CpuGemm.RoundUp(g.K, job.PanelWidth);
        job.Panels = job.KPad / job.PanelWidth;
        job.Slots = Math.Min(g.N, Math.Max(FilterSlots, pool.Threads));
        float* sh = shared.Ensure(ScratchMemory.Align(job.Slots * job.PartialFloats) + ScratchMemory.Align(pq));
        job.Partials = sh;
        job.Bases = (int*)(sh + ScratchMemory.Align(job.Slots * job.PartialFloats));
        for (int j = 0; j < pq; j++) job.Bases[j] = j / g.Q * job.M.Wp + j % g.Q;
        job.WorkerStride = job.M.PlaneFloats + ScratchMemory.Align((long)job.KPad * pq);
        job.Scratch = perWorker.Ensure(job.WorkerStride * pool.Threads);
        For(job.Slots, &ImplicitFilterSlotTask, &job, pool.Threads > 1 && job.Slots > 1);

        // dw[k][t] += Σ_slot partial[slot][t][k], slots in order; then db.
        var sum = new Job { G = g, Dw = dw, Partials = job.Partials, Slots = job.Slots, PartialsLd = job.KPad };
        For((job.M.Taps + TransposeRows - 1) / TransposeRows, &AddTransposedPartialsTask, &sum, pool.Threads > 1);
        if (db != null) BiasGradient(g, dy, db);
    }

    private const int TransposeRows = 64;

    [SkipLocalsInit]
    private static void ImplicitFilterSlotTask(void* context, int slot, int worker)
    {
        var job = (ImplicitFilterJob*)context;
        ref readonly var g = ref job->G;
        int pq = g.P * g.Q, taps = job->M.Taps, kPad = job->KPad;
        float* plane = job->Scratch + worker * job->WorkerStride;
        float* dyt = plane + job->M.PlaneFloats; // per position block pc: Panels panels of kc × 16
        float* partial = job->Partials + slot * job->PartialFloats;
        new Span<float>(partial, (int)job->PartialFloats).Clear();
        float** a = stackalloc float*[MR];
        int n0 = (int)((long)slot * g.N / job->Slots), n1 = (int)((long)(slot + 1) * g.N / job->Slots);
        for (int n = n0; n < n1; n++)
        {
            PadImage(ref job->M, n, plane);
            float* dyn = job->Dy + (long)n * g.K * pq;
            for (int pc = 0; pc < pq; pc += ImplicitKc)
            {
                int kc = Math.Min(ImplicitKc, pq - pc);
                float* block = dyt + (long)pc * kPad;
                // dyᵀ: position rows of a panel of filters (16-wide panels are the 256-bit packing's).
                if (job->PanelWidth == NR) CpuGemmPacking<TVec>.PackB(block, dyn, pq, true, pc, kc, 0, g.K);
                else CpuGemmPacking<V256>.PackB(block, dyn, pq, true, pc, kc, 0, g.K);
                for (int panel = 0; panel < job->Panels; panel++)
                {
                    float* bp = block + (long)panel * kc * job->PanelWidth;
                    int rows = job->PanelWidth == NR ? MR : OneVectorRows;
                    for (int t = 0; t < taps; t += rows)
                    {
                        int mr = Math.Min(rows, taps - t);
                        for (int i = 0; i < MR; i++) a[i] = plane + job->M.Offsets[t + Math.Min(i, mr - 1)];
                        float* c = partial + (long)t * kPad + panel * job->PanelWidth;
                        if (job->PanelWidth == NR) ImplicitTile(kc, bp, job->Bases + pc, a, c, kPad, 1, mr);
                        else ImplicitTileOneVector(kc, bp, job->Bases + pc, a, c, kPad, mr);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Rows (taps) of <see cref="ImplicitTileOneVector"/>: 8, whose tap pointers fit the general registers (measured
    /// on LeNet's second layer: 8 rows 1.25–1.32× the 256-bit tile, 6, 7 or 10 rows 1.21–1.24×, 14 rows 1.19–1.22×).
    /// The tile is written for exactly this many (the caller fills at least 8 tap pointers: MR ≥ 8 at 512 bits).
    /// </summary>
    private const int OneVectorRows = 8;

    /// <summary>
    /// C[i][0..L) += Σ_t a_i[off[t]] · bp[t][0..L) for the first <paramref name="mr"/> of <see cref="OneVectorRows"/>
    /// rows: <see cref="ImplicitTile"/> one vector wide, for the backward filter of at most 16 filters on a 512-bit
    /// device (<see cref="CpuPaths.ImplicitHalfPanels"/>): 8 taps × 16 filters, each broadcast feeding one 512-bit
    /// multiply-add, where the 256-bit tile's 6 × 16 ran at half the machine's rate and the 512-bit tile's 14 × 32
    /// would idle half its filters.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ImplicitTileOneVector(int kc, float* bp, int* off, float** a, float* c, int ldc, int mr)
    {
        float* a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
        TVec c0 = TVec.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int t = 0; t < kc; t++, bp += L)
        {
            int o = off[t];
            var b = TVec.Load(bp);
            c0 = TVec.MulAdd(TVec.Broadcast(a0[o]), b, c0);
            c1 = TVec.MulAdd(TVec.Broadcast(a1[o]), b, c1);
            c2 = TVec.MulAdd(TVec.Broadcast(a2[o]), b, c2);
            c3 = TVec.MulAdd(TVec.Broadcast(a3[o]), b, c3);
            c4 = TVec.MulAdd(TVec.Broadcast(a4[o]), b, c4);
            c5 = TVec.MulAdd(TVec.Broadcast(a5[o]), b, c5);
            c6 = TVec.MulAdd(TVec.Broadcast(a6[o]), b, c6);
            c7 = TVec.MulAdd(TVec.Broadcast(a7[o]), b, c7);
        }
        TVec.Store(TVec.Load(c) + c0, c);
        if (mr > 1) TVec.Store(TVec.Load(c + ldc) + c1, c + ldc);
        if (mr > 2) TVec.Store(TVec.Load(c + 2L * ldc) + c2, c + 2L * ldc);
        if (mr > 3) TVec.Store(TVec.Load(c + 3L * ldc) + c3, c + 3L * ldc);
        if (mr > 4) TVec.Store(TVec.Load(c + 4L * ldc) + c4, c + 4L * ldc);
        if (mr > 5) TVec.Store(TVec.Load(c + 5L * ldc) + c5, c + 5L * ldc);
        if (mr > 6) TVec.Store(TVec.Load(c + 6L * ldc) + c6, c + 6L * ldc);
        if (mr > 7) TVec.Store(TVec.Load(c + 7L * ldc) + c7, c + 7L * ldc);
    }

    /// <summary>dw[k][t] += Σ_slot partials[slot][t][k] for a range of taps.</summary>
    private static void AddTransposedPartialsTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        int taps = g.C * g.R * g.S, kPad = job->PartialsLd;
        long slotFloats = (long)taps * kPad;
        int t0 = task * TransposeRows, t1 = Math.Min(taps, t0 + TransposeRows);
        for (int t = t0; t < t1; t++)
            for (int k = 0; k < g.K; k++)
            {
                float* p = job->Partials + (long)t * kPad + k;
                float sum = p[0];
                for (int s = 1; s < job->Slots; s++) sum += p[s * slotFloats];
                job->Dw[(long)k * taps + t] += sum;
            }
    }

    /// <summary>
    /// C[i][0..NR) (+)= Σ_t a_i[off[t]] · bp[t][0..NR) for the first <paramref name="mr"/> of MR positions i: the
    /// GEMM micro-kernel's MR × NR tile (6 × 16 or 14 × 32) with its A values broadcast from the image instead of a
    /// packed panel. Rows past the width's MR are folded away by the JIT.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ImplicitTile(int kc, float* bp, int* off, float** a, float* c, int ldc, int addC, int mr)
    {
        float* a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5];
        float* a6 = MR > 6 ? a[6] : null, a7 = MR > 7 ? a[7] : null, a8 = MR > 8 ? a[8] : null, a9 = MR > 9 ? a[9] : null, a10 = MR > 10 ? a[10] : null, a11 = MR > 11 ? a[11] : null, a12 = MR > 12 ? a[12] : null, a13 = MR > 13 ? a[13] : null;
        TVec c00 = TVec.Zero, c01 = TVec.Zero;
        TVec c10 = TVec.Zero, c11 = TVec.Zero;
        TVec c20 = TVec.Zero, c21 = TVec.Zero;
        TVec c30 = TVec.Zero, c31 = TVec.Zero;
        TVec c40 = TVec.Zero, c41 = TVec.Zero;
        TVec c50 = TVec.Zero, c51 = TVec.Zero;
        TVec c60 = TVec.Zero, c61 = TVec.Zero;
        TVec c70 = TVec.Zero, c71 = TVec.Zero;
        TVec c80 = TVec.Zero, c81 = TVec.Zero;
        TVec c90 = TVec.Zero, c91 = TVec.Zero;
        TVec c100 = TVec.Zero, c101 = TVec.Zero;
        TVec c110 = TVec.Zero, c111 = TVec.Zero;
        TVec c120 = TVec.Zero, c121 = TVec.Zero;
        TVec c130 = TVec.Zero, c131 = TVec.Zero;
        for (int t = 0; t < kc; t++)
        {
            int o = off[t];
            var b0 = TVec.Load(bp);
            var b1 = TVec.Load(bp + TVec.Count);
            TVec v;
            v = TVec.Broadcast(a0[o]); c00 = TVec.MulAdd(v, b0, c00); c01 = TVec.MulAdd(v, b1, c01);
            v = TVec.Broadcast(a1[o]); c10 = TVec.MulAdd(v, b0, c10); c11 = TVec.MulAdd(v, b1, c11);
            v = TVec.Broadcast(a2[o]); c20 = TVec.MulAdd(v, b0, c20); c21 = TVec.MulAdd(v, b1, c21);
            v = TVec.Broadcast(a3[o]); c30 = TVec.MulAdd(v, b0, c30); c31 = TVec.MulAdd(v, b1, c31);
            v = TVec.Broadcast(a4[o]); c40 = TVec.MulAdd(v, b0, c40); c41 = TVec.MulAdd(v, b1, c41);
            v = TVec.Broadcast(a5[o]); c50 = TVec.MulAdd(v, b0, c50); c51 = TVec.MulAdd(v, b1, c51);
            if (MR > 6) { v = TVec.Broadcast(a6[o]); c60 = TVec.MulAdd(v, b0, c60); c61 = TVec.MulAdd(v, b1, c61); }
            if (MR > 7) { v = TVec.Broadcast(a7[o]); c70 = TVec.MulAdd(v, b0, c70); c71 = TVec.MulAdd(v, b1, c71); }
            if (MR > 8) { v = TVec.Broadcast(a8[o]); c80 = TVec.MulAdd(v, b0, c80); c81 = TVec.MulAdd(v, b1, c81); }
            if (MR > 9) { v = TVec.Broadcast(a9[o]); c90 = TVec.MulAdd(v, b0, c90); c91 = TVec.MulAdd(v, b1, c91); }
            if (MR > 10) { v = TVec.Broadcast(a10[o]); c100 = TVec.MulAdd(v, b0, c100); c101 = TVec.MulAdd(v, b1, c101); }
            if (MR > 11) { v = TVec.Broadcast(a11[o]); c110 = TVec.MulAdd(v, b0, c110); c111 = TVec.MulAdd(v, b1, c111); }
            if (MR > 12) { v = TVec.Broadcast(a12[o]); c120 = TVec.MulAdd(v, b0, c120); c121 = TVec.MulAdd(v, b1, c121); }
            if (MR > 13) { v = TVec.Broadcast(a13[o]); c130 = TVec.MulAdd(v, b0, c130); c131 = TVec.MulAdd(v, b1, c131); }
            bp += NR;
        }
        CpuGemmMicroKernel<TVec>.Update(c, c00, c01, addC, null, 0);
        if (mr == 1) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c10, c11, addC, null, 1);
        if (mr == 2) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c20, c21, addC, null, 2);
        if (mr == 3) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c30, c31, addC, null, 3);
        if (mr == 4) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c40, c41, addC, null, 4);
        if (mr == 5) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c50, c51, addC, null, 5);
        if (MR == 6 || mr == 6) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c60, c61, addC, null, 6);
        if (MR == 7 || mr == 7) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c70, c71, addC, null, 7);
        if (MR == 8 || mr == 8) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c80, c81, addC, null, 8);
        if (MR == 9 || mr == 9) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c90, c91, addC, null, 9);
        if (MR == 10 || mr == 10) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c100, c101, addC, null, 10);
        if (MR == 11 || mr == 11) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c110, c111, addC, null, 11);
        if (MR == 12 || mr == 12) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c120, c121, addC, null, 12);
        if (MR == 13 || mr == 13) return;
        c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c130, c131, addC, null, 13);
    }

    /// <summary>
    /// <see cref="ImplicitTile"/> for <typeparamref name="TRows"/> rows (at most MR) whose values lie a fixed
    /// <typeparamref name="TStep"/> floats apart: one pointer instead of MR (which do not all fit the general registers
    /// at 14 rows), the rows at constant displacements. Positions on one output row are consecutive (step 1); the
    /// Winograd path's tiles are a vector apart (CpuConv2d.Winograd.cs), and its backward filter ends a block of
    /// filters with a shorter tile (4 or 8 rows) instead of padding it to MR.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ImplicitTileRow<TStep, TRows>(int kc, float* bp, int* off, float* a0, float* c, int ldc, int addC)
        where TStep : struct, ITileCount where TRows : struct, ITileCount
    {
        TVec c00 = TVec.Zero, c01 = TVec.Zero;
        TVec c10 = TVec.Zero, c11 = TVec.Zero;
        TVec c20 = TVec.Zero, c21 = TVec.Zero;
        TVec c30 = TVec.Zero, c31 = TVec.Zero;
        TVec c40 = TVec.Zero, c41 = TVec.Zero;
        TVec c50 = TVec.Zero, c51 = TVec.Zero;
        TVec c60 = TVec.Zero, c61 = TVec.Zero;
        TVec c70 = TVec.Zero, c71 = TVec.Zero;
        TVec c80 = TVec.Zero, c81 = TVec.Zero;
        TVec c90 = TVec.Zero, c91 = TVec.Zero;
        TVec c100 = TVec.Zero, c101 = TVec.Zero;
        TVec c110 = TVec.Zero, c111 = TVec.Zero;
        TVec c120 = TVec.Zero, c121 = TVec.Zero;
        TVec c130 = TVec.Zero, c131 = TVec.Zero;
        for (int t = 0; t < kc; t++)
        {
            float* x = a0 + off[t];
            var b0 = TVec.Load(bp);
            var b1 = TVec.Load(bp + TVec.Count);
            TVec v;
            v = TVec.Broadcast(x[0]); c00 = TVec.MulAdd(v, b0, c00); c01 = TVec.MulAdd(v, b1, c01);
            if (TRows.Value > 1) { v = TVec.Broadcast(x[1 * TStep.Value]); c10 = TVec.MulAdd(v, b0, c10); c11 = TVec.MulAdd(v, b1, c11); }
            if (TRows.Value > 2) { v = TVec.Broadcast(x[2 * TStep.Value]); c20 = TVec.MulAdd(v, b0, c20); c21 = TVec.MulAdd(v, b1, c21); }
            if (TRows.Value > 3) { v = TVec.Broadcast(x[3 * TStep.Value]); c30 = TVec.MulAdd(v, b0, c30); c31 = TVec.MulAdd(v, b1, c31); }
            if (TRows.Value > 4) { v = TVec.Broadcast(x[4 * TStep.Value]); c40 = TVec.MulAdd(v, b0, c40); c41 = TVec.MulAdd(v, b1, c41); }
            if (TRows.Value > 5) { v = TVec.Broadcast(x[5 * TStep.Value]); c50 = TVec.MulAdd(v, b0, c50); c51 = TVec.MulAdd(v, b1, c51); }
            if (MR > 6 && TRows.Value > 6) { v = TVec.Broadcast(x[6 * TStep.Value]); c60 = TVec.MulAdd(v, b0, c60); c61 = TVec.MulAdd(v, b1, c61); }
            if (MR > 7 && TRows.Value > 7) { v = TVec.Broadcast(x[7 * TStep.Value]); c70 = TVec.MulAdd(v, b0, c70); c71 = TVec.MulAdd(v, b1, c71); }
            if (MR > 8 && TRows.Value > 8) { v = TVec.Broadcast(x[8 * TStep.Value]); c80 = TVec.MulAdd(v, b0, c80); c81 = TVec.MulAdd(v, b1, c81); }
            if (MR > 9 && TRows.Value > 9) { v = TVec.Broadcast(x[9 * TStep.Value]); c90 = TVec.MulAdd(v, b0, c90); c91 = TVec.MulAdd(v, b1, c91); }
            if (MR > 10 && TRows.Value > 10) { v = TVec.Broadcast(x[10 * TStep.Value]); c100 = TVec.MulAdd(v, b0, c100); c101 = TVec.MulAdd(v, b1, c101); }
            if (MR > 11 && TRows.Value > 11) { v = TVec.Broadcast(x[11 * TStep.Value]); c110 = TVec.MulAdd(v, b0, c110); c111 = TVec.MulAdd(v, b1, c111); }
            if (MR > 12 && TRows.Value > 12) { v = TVec.Broadcast(x[12 * TStep.Value]); c120 = TVec.MulAdd(v, b0, c120); c121 = TVec.MulAdd(v, b1, c121); }
            if (MR > 13 && TRows.Value > 13) { v = TVec.Broadcast(x[13 * TStep.Value]); c130 = TVec.MulAdd(v, b0, c130); c131 = TVec.MulAdd(v, b1, c131); }
            bp += NR;
        }
        CpuGemmMicroKernel<TVec>.Update(c, c00, c01, addC, null, 0);
        if (TRows.Value > 1) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c10, c11, addC, null, 1); }
        if (TRows.Value > 2) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c20, c21, addC, null, 2); }
        if (TRows.Value > 3) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c30, c31, addC, null, 3); }
        if (TRows.Value > 4) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c40, c41, addC, null, 4); }
        if (TRows.Value > 5) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c50, c51, addC, null, 5); }
        if (MR > 6 && TRows.Value > 6) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c60, c61, addC, null, 6); }
        if (MR > 7 && TRows.Value > 7) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c70, c71, addC, null, 7); }
        if (MR > 8 && TRows.Value > 8) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c80, c81, addC, null, 8); }
        if (MR > 9 && TRows.Value > 9) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c90, c91, addC, null, 9); }
        if (MR > 10 && TRows.Value > 10) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c100, c101, addC, null, 10); }
        if (MR > 11 && TRows.Value > 11) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c110, c111, addC, null, 11); }
        if (MR > 12 && TRows.Value > 12) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c120, c121, addC, null, 12); }
        if (MR > 13 && TRows.Value > 13) { c += ldc; CpuGemmMicroKernel<TVec>.Update(c, c130, c131, addC, null, 13); }
    }
}
