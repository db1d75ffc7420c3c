using System.Runtime.CompilerServices;

using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The direct backward filter on dense positions j = p·Q + q, the order of dy itself: each image is copied into the
/// C·S column-shifted planes of the dense direct forward (CpuConv2d.DenseDirect.cs), in which tap (c, r, s) of
/// position j is xs[j + off(c, r, s)], off = (c·S + s)·stride + r·Q, so dw[k][t] = Σ_j dy[k][j] · xs[j + off(t)] reads
/// dy where it lies. The wide-row variant (CpuConv2d.Direct.cs) first copied every image's dy into zero-padded wide
/// rows (K·P·Wp floats cleared and written per image: more memory traffic than multiply-adds for one channel) and
/// summed (S−1)/Wp of the positions for nothing. Positions past the last whole vector are added one by one. The
/// bias gradient is summed in the same pass (each block of dy rows while it is in L1), not in a second read of dy.
/// Images go to a fixed number of slots, as on the other paths, so every thread count gives the same bits.
/// </summary>
internal sealed unsafe partial class CpuConv2d<TVec>
{
    private struct DenseFilterJob
    {
        public DenseJob Planes;     // G, X, Hp and the per-worker planes, as the dense forward builds them
        public float* Dy, Partials;
        public float* BiasPartials; // Slots × K: db summed in the same pass, while dy's rows are in L1 (null: no db)
        public int* Offsets;
        public int Taps, TapsPad, Slots;
        /// <summary>Filters and taps per block: 4 × 3, or 6 × 2 where that wastes fewer multiply-adds (<see cref="SixFilterBlocks"/>).</summary>
        public int Kb, Tb;
    }

    /// <summary>
    /// Whether the backward filter's blocks should be 6 filters × 2 taps rather than 4 × 3 (both 12 accumulators): for
    /// filter counts that are a multiple of 6 but not of 4, where 4-filter blocks would repeat rows for nothing. LeNet's
    /// first layer (6 filters, 25 taps) ran 2 × 9 blocks of 4 × 3, 216 multiply-adds a position for its 150; now
    /// 13 blocks of 6 × 2, 156, with 104 loads a position instead of 126. The same sums per (filter, tap) in the same
    /// order, so the same bits.
    /// </summary>
    internal static bool SixFilterBlocks(int k) => k % 6 == 0 && k % 4 != 0;

    private void DenseBackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db)
    {
        var m = new DenseFilterJob { Planes = new DenseJob { G = g, X = x, Hp = g.H + 2 * g.PadH }, Dy = dy, Taps = g.C * g.R * g.S };
        (m.Kb, m.Tb) = SixFilterBlocks(g.K) ? (6, 2) : (DirectFilterKb, DirectTb);
        m.TapsPad = CpuGemm.RoundUp(m.Taps, m.Tb);
        PlanPlanes(ref m.Planes);
        long planeFloats = m.Planes.PlaneStride;
        int* offsets = stackalloc int[m.TapsPad];
        for (int t = 0; t < m.TapsPad; t++)
        {
            int c = t / (g.R * g.S), r = t / g.S % g.R, s = t % g.S;
            offsets[t] = t < m.Taps ? (int)((c * g.S + s) * planeFloats + r * g.Q) : 0; // padding taps: discarded
        }
        m.Offsets = offsets;
        // Slots depend on the batch only, as on the other paths, so 1 and 2 threads give identical bits.
        m.Slots = Math.Min(g.N, Math.Max(FilterSlots, pool.Threads));
        long filterFloats = (long)g.K * m.Taps;
        long partialFloats = ScratchMemory.Align(m.Slots * filterFloats);
        m.Partials = shared.Ensure(partialFloats + (db != null ? m.Slots * g.K : 0));
        if (db != null) m.BiasPartials = m.Partials + partialFloats;
        m.Planes.Scratch = perWorker.Ensure(m.Planes.PlanesFloats * pool.Threads);
        For(m.Slots, &DenseFilterSlotTask, &m, pool.Threads > 1 && m.Slots > 1);

        var job = new Job { G = g, Dy = dy, Dw = dw, Db = db, Partials = m.Partials, Slots = m.Slots };
        For((int)((filterFloats + ParallelRange.Chunk - 1) / ParallelRange.Chunk), &AddPartialsTask, &job, pool.Threads > 1);
        if (db != null)
            for (int k = 0; k < g.K; k++)
            {
                float sum = m.BiasPartials[k];
                for (int s = 1; s < m.Slots; s++) sum += m.BiasPartials[s * g.K + k];
                db[k] += sum;
            }
    }

    /// <summary>Σ row[0..length) for a whole number of vectors, in two vector accumulators.</summary>
    private static float RowSum(float* row, int length)
    {
        TVec a = TVec.Zero, b = TVec.Zero;
        int j = 0;
        for (; j <= length - 2 * L; j += 2 * L) { a += TVec.Load(row + j); b += TVec.Load(row + j + L); }
        if (j < length) a += TVec.Load(row + j);
        return TVec.Sum(a + b);
    }

    [SkipLocalsInit]
    private static void DenseFilterSlotTask(void* context, int slot, int worker)
    {
        var m = (DenseFilterJob*)context;
        ref readonly var g = ref m->Planes.G;
        float* planes = m->Planes.Scratch + worker * m->Planes.PlanesFloats;
        int pq = g.P * g.Q, whole = pq / L * L, taps = m->Taps;
        float* partial = m->Partials + (long)slot * g.K * taps;
        new Span<float>(partial, g.K * taps).Clear();
        float* biasPartial = m->BiasPartials == null ? null : m->BiasPartials + (long)slot * g.K;
        if (biasPartial != null) new Span<float>(biasPartial, g.K).Clear();
        float* sums = stackalloc float[12];
        int kbStep = m->Kb, tbStep = m->Tb;
        int n0 = (int)((long)slot * g.N / m->Slots), n1 = (int)((long)(slot + 1) * g.N / m->Slots);
        for (int n = n0; n < n1; n++)
        {
            ShiftedPlanes(ref m->Planes, n, planes);
            float* dyn = m->Dy + (long)n * g.K * pq;
            if (whole > 0)
                for (int kb = 0; kb < g.K; kb += kbStep)
                {
                    int rows = Math.Min(kbStep, g.K - kb);
                    for (int tb = 0; tb < m->TapsPad; tb += tbStep)
                    {
                        if (kbStep == 6) DirectFilterBlock6x2(planes, dyn + (long)kb * pq, pq, whole, m->Offsets + tb, sums);
                        else DirectFilterBlock(planes, dyn + (long)kb * pq, pq, rows, whole, m->Offsets + tb, sums);
                        for (int i = 0; i < rows; i++)
                            for (int t = 0; t < tbStep && tb + t < taps; t++)
                                partial[(long)(kb + i) * taps + tb + t] += sums[i * tbStep + t];
                    }
                    if (biasPartial != null)
                        for (int i = 0; i < rows; i++) biasPartial[kb + i] += RowSum(dyn + (long)(kb + i) * pq, whole);
                }
            for (int k = 0; k < g.K; k++)
                for (int j = whole; j < pq; j++)
                {
                    float d = dyn[(long)k * pq + j];
                    if (biasPartial != null) biasPartial[k] += d;
                    float* pk = partial + (long)k * taps;
                    for (int t = 0; t < taps; t++) pk[t] += d * planes[m->Offsets[t] + j];
                }
        }
    }

    /// <summary>
    /// sums[i·2 + t] = Σ_j dy[i][j] · plane[j + off[t]] over j &lt; <paramref name="length"/> (whole vectors) for 6
    /// filters i (rows <paramref name="ld"/> apart) and 2 taps t: <see cref="DirectFilterBlock"/>'s sums for 6 × 2.
    /// </summary>
    private static void DirectFilterBlock6x2(float* plane, float* dy, long ld, int length, int* off, float* sums)
    {
        TVec a00 = TVec.Zero, a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        TVec a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        float* x0p = plane + off[0], x1p = plane + off[1];
        float* d0p = dy, d1p = dy + ld, d2p = dy + 2 * ld, d3p = dy + 3 * ld, d4p = dy + 4 * ld, d5p = dy + 5 * ld;
        for (int j = 0; j < length; j += L)
        {
            var x0 = TVec.Load(x0p + j); var x1 = TVec.Load(x1p + j);
            var d = TVec.Load(d0p + j);
            a00 = Fmadd(d, x0, a00); a01 = Fmadd(d, x1, a01);
            d = TVec.Load(d1p + j);
            a10 = Fmadd(d, x0, a10); a11 = Fmadd(d, x1, a11);
            d = TVec.Load(d2p + j);
            a20 = Fmadd(d, x0, a20); a21 = Fmadd(d, x1, a21);
            d = TVec.Load(d3p + j);
            a30 = Fmadd(d, x0, a30); a31 = Fmadd(d, x1, a31);
            d = TVec.Load(d4p + j);
            a40 = Fmadd(d, x0, a40); a41 = Fmadd(d, x1, a41);
            d = TVec.Load(d5p + j);
            a50 = Fmadd(d, x0, a50); a51 = Fmadd(d, x1, a51);
        }
        sums[0] = TVec.Sum(a00); sums[1] = TVec.Sum(a01); sums[2] = TVec.Sum(a10); sums[3] = TVec.Sum(a11);
        sums[4] = TVec.Sum(a20); sums[5] = TVec.Sum(a21); sums[6] = TVec.Sum(a30); sums[7] = TVec.Sum(a31);
        sums[8] = TVec.Sum(a40); sums[9] = TVec.Sum(a41); sums[10] = TVec.Sum(a50); sums[11] = TVec.Sum(a51);
    }
}
