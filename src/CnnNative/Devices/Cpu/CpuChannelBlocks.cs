using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The channel-blocked layout's own kernels (<see cref="PhysicalLayout.ChannelBlocked"/>): the reorders between it
/// and NCHW, and max pooling on it. A blocked tensor is a run of slabs, one per image and block of B channels, each
/// slab plane × B floats: position-major, the block's channels one vector at each position. Slabs are independent,
/// so every kernel here runs a few whole slabs a task (<see cref="SlabsPerTask"/>).
/// </summary>
internal static unsafe class CpuChannelBlocks
{
    /// <summary>A blocked tensor's reorder in place, slab by slab, for <see cref="WorkerPool.For"/>: to NCHW (<see cref="ToLogical"/>) or from it.</summary>
    public struct Reorder
    {
        public float* Data, Scratch;
        public long WorkerStride;
        public int Plane, Block, Slabs, SlabsPerTask;
        public bool ToLogical;
    }

    /// <summary>
    /// Slabs per task: about 64 Ki floats a task (a slab is a few KiB; one task each would spend as long in the
    /// pool's hand-offs as in the copies), the task count a multiple of the threads.
    /// </summary>
    public static int SlabsPerTask(int slabs, long slabFloats, int threads)
    {
        int perTask = (int)Math.Clamp((1 << 16) / Math.Max(1, slabFloats), 1, slabs);
        int tasks = CpuGemm.RoundUp((slabs + perTask - 1) / perTask, Math.Max(1, threads));
        return Math.Max(1, (slabs + tasks - 1) / tasks);
    }

    /// <summary>Task <paramref name="task"/>'s slabs reordered in place, each through the worker's scratch (one slab, in L1 or L2).</summary>
    public static void ReorderTask(void* context, int task, int worker)
    {
        var job = (Reorder*)context;
        int plane = job->Plane, block = job->Block;
        long floats = (long)plane * block;
        float* scratch = job->Scratch + worker * job->WorkerStride;
        for (int i = task * job->SlabsPerTask, end = Math.Min(job->Slabs, i + job->SlabsPerTask); i < end; i++)
        {
            float* slab = job->Data + i * floats;
            if (job->ToLogical) SlabToPlanes(slab, scratch, plane, block);
            else PlanesToSlab(scratch, slab, plane, block);
            new ReadOnlySpan<float>(scratch, (int)floats).CopyTo(new Span<float>(slab, (int)floats));
        }
    }

    /// <summary>planes[b·plane + i] = slab[i·block + b]: 8 × 8 transposes, the positions past the last 8 one by one.</summary>
    public static void SlabToPlanes(float* slab, float* planes, int plane, int block)
    {
        int i8 = plane / 8 * 8;
        for (int b = 0; b < block; b += 8)
            for (int i = 0; i < i8; i += 8)
                CpuGemmPacking<V256>.Transpose8x8(slab + (long)i * block + b, block, planes + (long)b * plane + i, plane);
        for (int i = i8; i < plane; i++)
            for (int b = 0; b < block; b++) planes[(long)b * plane + i] = slab[(long)i * block + b];
    }

    /// <summary>slab[i·block + b] = planes[b·plane + i]: the inverse of <see cref="SlabToPlanes"/>.</summary>
    public static void PlanesToSlab(float* slab, float* planes, int plane, int block)
    {
        int i8 = plane / 8 * 8;
        for (int b = 0; b < block; b += 8)
            for (int i = 0; i < i8; i += 8)
                CpuGemmPacking<V256>.Transpose8x8(planes + (long)b * plane + i, plane, slab + (long)i * block + b, block);
        for (int i = i8; i < plane; i++)
            for (int b = 0; b < block; b++) slab[(long)i * block + b] = planes[(long)b * plane + i];
    }

    /// <summary>
    /// Max pooling of a blocked x, for <see cref="WorkerPool.For"/>: a slab a task, each window's positions taken in
    /// row-major order with the vectors' maximum (NaN wins, as in the NCHW 2×2 path), into a blocked y (the same
    /// block) or, with <see cref="ToPlanes"/>, through the worker's scratch into NCHW planes of y: the reorder done
    /// on the slab while it is in L1, where restoring the whole output after would pass over it again.
    /// </summary>
    public struct MaxPool
    {
        public Pool2dGeometry G;
        public float* X, Y, Scratch;
        public long WorkerStride;
        public int Block, Slabs, SlabsPerTask;
        public bool ToPlanes;
    }

    public static void MaxPoolTask(void* context, int task, int worker)
    {
        var job = (MaxPool*)context;
        ref readonly var g = ref job->G;
        int b = job->Block, pq = g.P * g.Q;
        for (int i = task * job->SlabsPerTask, end = Math.Min(job->Slabs, i + job->SlabsPerTask); i < end; i++)
        {
            float* x = job->X + (long)i * g.H * g.W * b, y = job->Y + (long)i * pq * b;
            float* slab = job->ToPlanes ? job->Scratch + worker * job->WorkerStride : y;
            if (b == 16) MaxPoolSlab<V512>(g, x, slab);
            else MaxPoolSlab<V256>(g, x, slab);
            if (job->ToPlanes) SlabToPlanes(slab, y, pq, b);
        }
    }

    /// <summary>One slab's max pooling, on vectors of <typeparamref name="TVec"/> (the slab's block: 8 or 16 channels).</summary>
    private static void MaxPoolSlab<TVec>(in Pool2dGeometry g, float* x, float* y) where TVec : unmanaged, IVec<TVec>
    {
        int l = TVec.Count;
        bool twoByTwo = g.R == 2 && g.S == 2;
        for (int p = 0; p < g.P; p++)
            for (int q = 0; q < g.Q; q++)
            {
                float* w0 = x + ((long)p * g.StrideH * g.W + q * g.StrideW) * l;
                TVec acc;
                if (twoByTwo)
                    acc = TVec.Max(TVec.Max(TVec.Load(w0), TVec.Load(w0 + l)), TVec.Max(TVec.Load(w0 + g.W * l), TVec.Load(w0 + g.W * l + l)));
                else
                {
                    acc = TVec.Load(w0);
                    for (int r = 0; r < g.R; r++)
                        for (int s = r == 0 ? 1 : 0; s < g.S; s++) acc = TVec.Max(acc, TVec.Load(w0 + ((long)r * g.W + s) * l));
                }
                TVec.Store(acc, y + ((long)p * g.Q + q) * l);
            }
    }
}
