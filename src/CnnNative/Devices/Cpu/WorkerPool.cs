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
    /// <summary><see cref="Open"/> while helpers may join the current loop, plus the number of helpers inside it.</summary>
    private int _state;
    private const int Open = 1 << 30;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _error;

    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "A worker pool needs at least one thread.");
        Threads = threads;
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
            while ((task = Interlocked.Increment(ref _next) - 1) < _count) _body(_context, task, worker);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            Interlocked.Exchange(ref _next, _count); // the other workers stop taking tasks
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
