using System.Diagnostics;

namespace CnnNative.Diagnostics;

/// <summary>Best and median of repeated runs of an action, after warm-up; stops after a time budget.</summary>
internal readonly record struct Timing(double BestSeconds, double MedianSeconds, int Runs)
{
    /// <summary>
    /// Runs <paramref name="action"/> (which must include the device's Synchronize) until <paramref name="budgetSeconds"/>
    /// have passed, at least <paramref name="minRuns"/> and at most <paramref name="maxRuns"/> times.
    /// The best run is the figure to compare: on a shared machine, noise only ever adds time.
    /// Warm-up runs (at least <paramref name="warmup"/>, and for at least <paramref name="warmupSeconds"/>) are not
    /// counted: .NET compiles a method first without optimisation and recompiles it after about 30 calls, so the
    /// first runs of managed code measure the compiler, not the code.
    /// </summary>
    public static Timing Measure(Action action, double budgetSeconds = 0.4, int minRuns = 3, int maxRuns = 1000, int warmup = 1,
                                 double warmupSeconds = 0)
    {
        Warm(action, warmup, warmupSeconds);
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < minRuns || (total.Elapsed.TotalSeconds < budgetSeconds && times.Count < maxRuns))
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        times.Sort();
        return new Timing(times[0], times[times.Count / 2], times.Count);
    }

    /// <summary>Runs <paramref name="action"/> at least <paramref name="runs"/> times and for at least <paramref name="seconds"/>.</summary>
    public static void Warm(Action action, int runs, double seconds)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < runs || clock.Elapsed.TotalSeconds < seconds; i++) action();
    }
}
