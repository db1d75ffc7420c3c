using CnnNative.Devices.Cpu;

namespace CnnNative.Tests.Devices.Cpu;

/// <summary>The cpu device's worker pool: one thread means the caller alone; every task runs exactly once, before For returns; failures surface.</summary>
[Category(Conformance.TestDevices.CpuCategory)]
public unsafe class WorkerPoolTests
{
    private struct Record
    {
        public int* Runs;        // per task: how many times it ran
        public int* Threads;     // per task: managed thread id that ran it
        public int* Workers;     // per task: worker index it was given
        public int FailAt;
    }

    private static void Body(void* context, int task, int worker)
    {
        var r = (Record*)context;
        Interlocked.Increment(ref r->Runs[task]);
        r->Threads[task] = Environment.CurrentManagedThreadId;
        r->Workers[task] = worker;
        if (task == r->FailAt) throw new InvalidOperationException($"task {task} failed");
    }

    private static (int[] Runs, int[] Threads, int[] Workers) RunTasks(WorkerPool pool, int count, int failAt = -1)
    {
        int[] runs = new int[count], threads = new int[count], workers = new int[count];
        fixed (int* r = runs) fixed (int* t = threads) fixed (int* w = workers)
        {
            var record = new Record { Runs = r, Threads = t, Workers = w, FailAt = failAt };
            pool.For(count, &Body, &record);
        }
        return (runs, threads, workers);
    }

    [Test]
    public void OneThreadRunsEveryTaskOnTheCaller()
    {
        using var pool = new WorkerPool(1);
        var (runs, threads, workers) = RunTasks(pool, 100);
        Assert.That(runs, Is.All.EqualTo(1));
        Assert.That(threads, Is.All.EqualTo(Environment.CurrentManagedThreadId));
        Assert.That(workers, Is.All.EqualTo(0));
    }

    [TestCase(2, 1, false, 0)]
    [TestCase(2, 1000, false, 0)]
    [TestCase(3, 7, false, 0)]
    [TestCase(2, 1, true, 0)]
    [TestCase(2, 1000, true, 0)]
    [TestCase(3, 7, true, 0)]
    [TestCase(3, 2, true, 0)]
    [TestCase(2, 1000, true, 50)]
    [TestCase(3, 7, true, 50)]
    [TestCase(3, 7, false, 5)]
    public void EveryTaskRunsExactlyOnceOnAKnownWorker(int threads, int count, bool affine, int spinMicroseconds)
    {
        using var pool = new WorkerPool(threads, affine, spinMicroseconds);
        for (int round = 0; round < 20; round++)
        {
            var (runs, _, workers) = RunTasks(pool, count);
            Assert.That(runs, Is.All.EqualTo(1), $"round {round}");
            Assert.That(workers, Is.All.InRange(0, threads - 1), $"round {round}");
        }
    }

    /// <summary>
    /// Many tiny loops back to back: helpers that wake late find their loop closed, or join the next one. Every loop
    /// must still have run each task once by the time it returns (a stray "done" signal would let one return early).
    /// </summary>
    [TestCase(2, false, 0)]
    [TestCase(3, false, 0)]
    [TestCase(2, true, 0)]
    [TestCase(3, true, 0)]
    [TestCase(2, true, 50)]
    [TestCase(3, true, 50)]
    [TestCase(2, false, 1)]
    [TestCase(3, true, 1)]
    public void BackToBackTinyLoopsEachFinishBeforeReturning(int threads, bool affine, int spinMicroseconds)
    {
        using var pool = new WorkerPool(threads, affine, spinMicroseconds);
        const int Count = 3;
        int* runs = stackalloc int[Count];
        int* ids = stackalloc int[Count];
        int* workers = stackalloc int[Count];
        for (int round = 0; round < 20_000; round++)
        {
            for (int i = 0; i < Count; i++) runs[i] = 0;
            var record = new Record { Runs = runs, Threads = ids, Workers = workers, FailAt = -1 };
            pool.For(Count, &Body, &record);
            for (int i = 0; i < Count; i++)
                if (Volatile.Read(ref runs[i]) != 1) Assert.Fail($"round {round}: task {i} ran {runs[i]} times before For returned");
        }
    }

    /// <summary>
    /// Affine blocks: the caller starts at task 0, and the helper, whenever it runs anything, starts at the front of its
    /// own block (the caller steals that block from its back, so the front is the last task it would take).
    /// </summary>
    [Test]
    public void AffineBlocksStartEachWorkerAtTheFrontOfItsBlock()
    {
        using var pool = new WorkerPool(2, affine: true);
        for (int round = 0; round < 200; round++)
        {
            var (runs, _, workers) = RunTasks(pool, 1000);
            Assert.That(runs, Is.All.EqualTo(1), $"round {round}");
            Assert.That(workers[0], Is.EqualTo(0), $"round {round}: task 0");
            if (workers.Contains(1)) Assert.That(workers[500], Is.EqualTo(1), $"round {round}: the helper ran tasks but not the front of its block");
        }
    }

    /// <summary>
    /// Spinning helpers that have spun out and blocked are woken by the next loop, however long the pause: loops with
    /// pauses shorter and longer than the spin time all finish, and disposing the pool ends the helpers.
    /// </summary>
    [Test]
    public void SpinningHelpersThatFellAsleepAreWokenByTheNextLoop()
    {
        using var pool = new WorkerPool(3, affine: true, spinMicroseconds: 20);
        foreach (int pauseMs in new[] { 0, 1, 0, 5, 0, 2 })
            for (int round = 0; round < 50; round++)
            {
                var (runs, _, _) = RunTasks(pool, 64);
                Assert.That(runs, Is.All.EqualTo(1), $"pause {pauseMs} ms, round {round}");
                if (pauseMs > 0) Thread.Sleep(pauseMs);
            }
    }

    [Test]
    public void AFailingTaskSurfacesOnTheCallerAndThePoolKeepsWorking([Values] bool affine, [Values(0, 50)] int spinMicroseconds)
    {
        using var pool = new WorkerPool(2, affine, spinMicroseconds);
        var e = Assert.Throws<InvalidOperationException>(() => RunTasks(pool, 50, failAt: 17))!;
        Assert.That(e.Message, Does.Contain("task 17"));
        Assert.That(RunTasks(pool, 50).Runs, Is.All.EqualTo(1));
    }
}
