using System.Runtime.ExceptionServices;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// A fixed set of persistent worker threads that run the tasks of one parallel loop at a time.
/// The calling thread is worker 0 and takes part, so <c>threads = 1</c> never touches another thread.
/// </summary>
/// <remarks>
/// The loop body is an unmanaged function pointer plus a context pointer (usually a struct on the caller's
/// stack, alive because the caller waits), so a parallel op allocates nothing. Tasks are handed out
/// dynamically (an interlocked counter), or as one contiguous block per worker with stealing from the others' ends
/// (affine: each worker keeps to its part of the batch, so its cache holds what it reads), which balances load;
/// every op that uses the pool makes each task's result independent of which worker ran it, so results never depend
/// on scheduling.
/// A helper takes part only if it arrives while the loop is open: once the caller has run out of tasks it closes
/// the loop and waits only for the helpers already inside. On a busy machine a helper the scheduler has not run
/// yet therefore costs nothing (the caller does its share) instead of a scheduling delay on every op.
/// With a spin time, a helper that finished a loop watches for the next one that long before it blocks (and the
/// caller for the helpers inside before it blocks): waking a blocked thread costs microseconds that the many short
/// ops of a batch-1 inference otherwise pay one after another. A helper that spun out marks itself asleep, and only
/// then is it woken through its semaphore (whoever swaps the mark back owns that wake-up).
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
    /// <summary>Loops started so far: a spinning helper watches it for the next loop.</summary>
    private int _generation;
    /// <summary>Per helper: 1 while it is blocked (or about to block) on its semaphore.</summary>
    private readonly int[] _asleep;
    private readonly long _spinTicks;

    /// <param name="threads">Threads that run a loop, the caller included.</param>
    /// <param name="affine">
    /// Hand worker w the w-th contiguous block of a loop's tasks (it steals from the others' ends once its own are
    /// done) instead of every task to whichever worker asks first: an op's tasks cover the batch in order, so each
    /// worker then reads mostly what it wrote in the op before, from its own core's cache.
    /// </param>
    /// <param name="spinMicroseconds">
    /// How long a helper that finished a loop watches for the next one, and the caller for the helpers inside a closed
    /// loop, before blocking (0: block at once).
    /// </param>
    public WorkerPool(int threads, bool affine = false, int spinMicroseconds = 0)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "A worker pool needs at least one thread.");
        ArgumentOutOfRangeException.ThrowIfNegative(spinMicroseconds);
        Threads = threads;
        _spinTicks = spinMicroseconds * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
        _asleep = new int[threads - 1];
        // Without spinning every helper counts as asleep, so each loop wakes it through its semaphore.
        if (_spinTicks == 0) Array.Fill(_asleep, 1);
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

    /// <summary>The cpu device's spin time (<see cref="CpuPaths.SpinningHelpers"/>).</summary>
    public const int SpinMicroseconds = 50;

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
        Volatile.Write(ref _generation, _generation + 1);
        for (int i = 0; i < helpers; i++)
            if (_spinTicks == 0 || Interlocked.Exchange(ref _asleep[i], 0) == 1) _wake[i].Release();
        Drain(0);
        // Close the loop; wait only for helpers inside it (the last one out releases _done exactly once).
        if ((Interlocked.And(ref _state, ~Open) & ~Open) != 0)
        {
            if (_spinTicks > 0) SpinWhileHelpersInside();
            _done.Wait(); // consumes that release even when the spin saw the helpers leave
        }
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
        int seen = 0;
        while (true)
        {
            if (_spinTicks == 0) _wake[index].Wait();
            else if (!SpinForLoopAfter(seen)) Sleep(index, seen);
            seen = Volatile.Read(ref _generation);
            if (_disposed) return;
            if (!TryJoin()) continue; // woken late: that loop is over (or this is a spare wake-up)
            Drain(index + 1);
            if (Interlocked.Decrement(ref _state) == 0) _done.Release();
        }
    }

    /// <summary>Blocks a helper that spun out, unless a loop after <paramref name="seen"/> began meanwhile and it takes back its asleep mark.</summary>
    private void Sleep(int index, int seen)
    {
        Interlocked.Exchange(ref _asleep[index], 1);
        // A caller that started a loop before it saw the mark did not release the semaphore: whoever clears the mark owns the wake-up.
        if ((Volatile.Read(ref _generation) == seen && !_disposed) || Interlocked.Exchange(ref _asleep[index], 0) == 0)
            _wake[index].Wait();
    }

    /// <summary>Spins up to the spin time for a loop after <paramref name="seen"/> (or disposal); true when one came.</summary>
    private bool SpinForLoopAfter(int seen)
    {
        var spin = new Spin(_spinTicks);
        while (Volatile.Read(ref _generation) == seen && !_disposed)
            if (!spin.Next()) return Volatile.Read(ref _generation) != seen || _disposed;
        return true;
    }

    /// <summary>Spins up to the spin time while helpers are inside the closed loop.</summary>
    private void SpinWhileHelpersInside()
    {
        var spin = new Spin(_spinTicks);
        while (Volatile.Read(ref _state) != 0 && spin.Next()) { }
    }

    /// <summary>A bounded spin: pauses a little per call and says whether spin time is left.</summary>
    private struct Spin(long ticks)
    {
        private readonly long _start = System.Diagnostics.Stopwatch.GetTimestamp();
        private int _count;

        public bool Next()
        {
            Thread.SpinWait(8);
            return (++_count & 63) != 0 || System.Diagnostics.Stopwatch.GetTimestamp() - _start <= ticks;
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
        for (int i = 0; i < _wake.Length; i++)
            if (Interlocked.Exchange(ref _asleep[i], 0) == 1) _wake[i].Release();
        foreach (var t in _helpers) t.Join();
        foreach (var w in _wake) w.Dispose();
        _done.Dispose();
    }
}
