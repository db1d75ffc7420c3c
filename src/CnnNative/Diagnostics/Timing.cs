using System.Diagnostics;

namespace CnnNative.Diagnostics;

/// <summary>Best and median of repeated runs of an action, after warm-up; stops after a time budget.</summary>
public readonly record struct Timing(double BestSeconds, double MedianSeconds, int Runs)
{
    /// <summary>
    /// Runs <paramref name="action"/> (which must include the device's Synchronize) until <paramref name="budgetSeconds"/>
    /// have passed, at least <paramref name="minRuns"/> and at most <paramref name="maxRuns"/> times.
    /// The best run is the figure to compare: on a shared machine, noise only ever adds time.
    /// </summary>
    public static Timing Measure(Action action, double budgetSeconds = 0.4, int minRuns = 3, int maxRuns = 1000, int warmup = 1)
    {
        for (int i = 0; i < warmup; i++) action();
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
}
