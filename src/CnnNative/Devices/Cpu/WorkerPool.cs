using System.Runtime.ExceptionServices;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// A fixed set of persistent worker threads that run the tasks of one parallel loop at a time.
/// The calling thread is worker 0 and takes part, so <c>threads = 1</c> never touches another thread.
/// </summary>
/// <remarks>
/// The loop body is an unmanaged function pointer plus a context pointer (usually a struct on the caller's
/// stack, alive because the caller waits), so a parallel op allocates nothing. Tasks are handed out
/// dynamically (an interlocked counter), which balances load; every op that uses the pool makes each task's
/// result independent of which worker ran it, so results never depend on scheduling.
/// A helper takes part only if it arrives while the loop is open: once the caller has run out of tasks it closes
/// the loop and waits only for the helpers already inside. On a busy machine a helper the scheduler has not run
/// yet therefore costs nothing (the caller does its share) instead of a scheduling delay on every op.
/// Not re-entrant: a task must not start another parallel loop (the device runs nested work serially).
/// </remarks>
internal sealed unsafe class WorkerPool : IDisposable
{
    private readonly Thread[] _helpers;
    private readonly SemaphoreSlim[] _wake;
    // A semaphore rather than a ManualResetEventSlim: the latter allocates its lock lazily on the first wait that
    // blocks, which would be a managed allocation in the middle of steady-state training.
    private readonly SemaphoreSlim _done = new(0);
    private delegate*<void*, int, int, void> _body;
    private void* _context;
    private int _count;
    private int _next;
    /// <summary>
    /// With <see cref="_affine"/>: worker w's block of tasks at [w × Stride], front (next to run) in the low 32 bits and
    /// back (one past the last) in the high 32 bits; a stride of a cache line keeps the workers' counters apart.
    /// </summary>
    private readonly long[] _blocks;
    private const int Stride = 8;
    private readonly bool _affine;
    /// <summary><see cref="Open"/> while helpers may join the current loop, plus the number of helpers inside it.</summary>
    private int _state;
    private const int Open = 1 << 30;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _error;

    /// <param name="threads">Threads that run a loop, the caller included.</param>
    /// <param name="affine">
    /// Hand worker w the w-th contiguous block of a loop's tasks (it steals from the others' ends once its own are
    /// done) instead of every task to whichever worker asks first: an op's tasks cover the batch in order, so each
    /// worker then reads mostly what it wrote in the op before, from its own core's cache.
    /// </param>
    public WorkerPool(int threads, bool affine = false)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "A worker pool needs at least one thread.");
        Threads = threads;
        _affine = affine;
        _blocks = new long[threads * Stride];
        _helpers = new Thread[threads - 1];
        _wake = new SemaphoreSlim[threads - 1];
        for (int i = 0; i < _helpers.Length; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
            _helpers[i] = new Thread(HelperLoop) { IsBackground = true, Name = $"CnnNative cpu worker {i + 1}" };
            _helpers[i].Start(i);
        }
    }

    /// <summary>Threads that run a loop, the caller included.</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs <c>body(context, task, worker)</c> for task = 0 .. count−1 and returns when all are done.
    /// worker ∈ [0, Threads) identifies the thread, so a task can use that worker's scratch memory.
    /// </summary>
    public void For(int count, delegate*<void*, int, int, void> body, void* context)
    {
        if (count <= 0) return;
        int helpers = Math.Min(_helpers.Length, count - 1);
        if (helpers == 0)
        {
            for (int i = 0; i < count; i++) body(context, i, 0);
            return;
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        _body = body;
        _context = context;
        _count = count;
        _next = 0;
        _error = null;
        if (_affine)
            for (int w = 0, workers = helpers + 1; w < Threads; w++)
                _blocks[w * Stride] = w < workers ? Block((long)count * w / workers, (long)count * (w + 1) / workers) : 0;
        Interlocked.Exchange(ref _state, Open); // publishes the fields above to every helper that joins
        for (int i = 0; i < helpers; i++) _wake[i].Release();
        Drain(0);
        // Close the loop; wait only for helpers inside it (the last one out releases _done exactly once).
        if ((Interlocked.And(ref _state, ~Open) & ~Open) != 0) _done.Wait();
        _body = null;
        _context = null;
        _error?.Throw();
    }

    private void Drain(int worker)
    {
        try
        {
            int task;
            if (!_affine)
            {
                while ((task = Interlocked.Increment(ref _next) - 1) < _count) _body(_context, task, worker);
                return;
            }
            while ((task = Take(worker, fromFront: true)) >= 0) _body(_context, task, worker);
            for (int k = 1; k < Threads; k++)
                while ((task = Take((worker + k) % Threads, fromFront: false)) >= 0) _body(_context, task, worker);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            Interlocked.Exchange(ref _next, _count); // the other workers stop taking tasks
            for (int w = 0; w < Threads; w++) Interlocked.Exchange(ref _blocks[w * Stride], 0);
        }
    }

    private static long Block(long front, long back) => front | (back << 32);

    /// <summary>Claims the front (the owner) or the back (a thief) task of worker <paramref name="owner"/>'s block; −1 when it is empty.</summary>
    private int Take(int owner, bool fromFront)
    {
        ref long block = ref _blocks[owner * Stride];
        while (true)
        {
            long seen = Volatile.Read(ref block);
            int front = (int)seen, back = (int)(seen >>> 32);
            if (front >= back) return -1;
            long claimed = fromFront ? Block(front + 1, back) : Block(front, back - 1);
            if (Interlocked.CompareExchange(ref block, claimed, seen) == seen) return fromFront ? front : back - 1;
        }
    }

    private void HelperLoop(object? state)
    {
        int index = (int)state!;
        while (true)
        {
            _wake[index].Wait();
            if (_disposed) return;
            if (!TryJoin()) continue; // woken late: that loop is over (or this is a spare wake-up)
            Drain(index + 1);
            if (Interlocked.Decrement(ref _state) == 0) _done.Release();
        }
    }

    /// <summary>Enters the current loop if it is still open.</summary>
    private bool TryJoin()
    {
        int state = Volatile.Read(ref _state);
        while ((state & Open) != 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, state + 1, state);
            if (seen == state) return true;
            state = seen;
        }
        return false;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var w in _wake) w.Release();
        foreach (var t in _helpers) t.Join();
        foreach (var w in _wake) w.Dispose();
        _done.Dispose();
    }
}
