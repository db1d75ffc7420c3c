namespace CnnNative.Devices.Cpu;

/// <summary>
/// A loop over [0, Length) (elements, or rows for row-wise ops) cut into fixed chunks of <see cref="ChunkSize"/>
/// (default <see cref="Chunk"/> elements), run on the pool when there is more than one chunk. Chunks are fixed (not per thread), so a reduction that keeps one partial per chunk and adds
/// them in chunk order gives the same bits for every thread count.
/// </summary>
internal unsafe struct RangeJob
{
    /// <summary>Elements per chunk: 128 KiB of floats, long enough to amortise waking a worker.</summary>
    public const int Chunk = 1 << 15;

    public delegate*<RangeJob*, int, int, int, void> Kernel; // (job, start, end, chunkIndex)
    public int Length;
    /// <summary>Loop indices per chunk; 0 means <see cref="Chunk"/>.</summary>
    public int ChunkSize;
    public float* P0, P1, P2, P3, P4;
    public float F0, F1, F2, F3, F4, F5;
    public uint U0;
    public int I0;
    public bool B0;
    /// <summary>One partial per chunk, for reductions.</summary>
    public double* Partials;

    public readonly int Size => ChunkSize > 0 ? ChunkSize : Chunk;
    public readonly int Chunks => (int)(((long)Length + Size - 1) / Size);

    public static void Run(WorkerPool pool, ref RangeJob job)
    {
        int chunks = job.Chunks;
        fixed (RangeJob* j = &job)
        {
            if (chunks <= 1 || pool.Threads == 1)
                for (int c = 0; c < chunks; c++) Body(j, c, 0);
            else
                pool.For(chunks, &Body, j);
        }
    }

    private static void Body(void* context, int task, int worker)
    {
        var job = (RangeJob*)context;
        int start = task * job->Size;
        job->Kernel(job, start, (int)Math.Min(job->Length, (long)start + job->Size), task);
    }
}
