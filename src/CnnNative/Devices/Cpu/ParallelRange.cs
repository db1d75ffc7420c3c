namespace CnnNative.Devices.Cpu;

/// <summary>
/// A kernel over a range of elements (or rows), written as a struct whose fields are its typed arguments
/// (the TensorPrimitives operator pattern): <see cref="ParallelRange"/> hands it chunks [start, end).
/// </summary>
internal interface IRangeKernel
{
    /// <summary>Computes elements (or rows) [start, end), which are chunk number <paramref name="chunk"/> of the range.</summary>
    void Run(int start, int end, int chunk);
}

/// <summary>
/// Runs an <see cref="IRangeKernel"/> over [0, length) cut into fixed chunks, on the worker pool when there is more
/// than one chunk. Chunks depend on the length only (not on the thread count), so a reduction that keeps one partial
/// per chunk and adds them in chunk order gives the same bits for every thread count. Nothing is allocated: the
/// pool calls a generic static trampoline through a function pointer, with the kernel on the caller's stack.
/// </summary>
internal static unsafe class ParallelRange
{
    /// <summary>Elements per chunk: 128 KiB of floats, long enough to amortise waking a worker.</summary>
    public const int Chunk = 1 << 15;

    /// <summary>How many chunks of <paramref name="chunk"/> cover <paramref name="length"/>.</summary>
    public static int Chunks(int length, int chunk = Chunk) => (int)(((long)length + chunk - 1) / chunk);

    /// <summary>Rows per chunk for a row-wise kernel: about <see cref="Chunk"/> elements of rows.</summary>
    public static int RowsPerChunk(int cols) => Math.Max(1, Chunk / Math.Max(1, cols));

    /// <summary>Runs <paramref name="kernel"/> on every chunk of [0, <paramref name="length"/>) and returns when all are done.</summary>
    public static void Run<TKernel>(WorkerPool pool, ref TKernel kernel, int length, int chunk = Chunk)
        where TKernel : unmanaged, IRangeKernel
    {
        int chunks = Chunks(length, chunk);
        fixed (TKernel* k = &kernel)
        {
            var job = new Job<TKernel> { Kernel = k, Length = length, Chunk = chunk };
            if (chunks <= 1 || pool.Threads == 1)
                for (int c = 0; c < chunks; c++) Body<TKernel>(&job, c, 0);
            else
                pool.For(chunks, &Body<TKernel>, &job);
        }
    }

    private struct Job<TKernel> where TKernel : unmanaged
    {
        public TKernel* Kernel;
        public int Length, Chunk;
    }

    private static void Body<TKernel>(void* context, int task, int worker) where TKernel : unmanaged, IRangeKernel
    {
        var job = (Job<TKernel>*)context;
        int start = task * job->Chunk;
        job->Kernel->Run(start, (int)Math.Min(job->Length, (long)start + job->Chunk), task);
    }
}
