using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CnnNative.Tests.Fuzz;

/// <summary>
/// Runs one <see cref="FuzzTarget"/>: every seed unchanged, then mutated inputs. An input is a finding when the
/// parser throws an exception it does not document, takes longer than <see cref="TimeLimit"/>, or allocates more
/// than <see cref="AllocationLimit"/> of managed memory (measured around the call; the harness runs one call at a
/// time). Findings are saved, with the exception, under the test's work folder so they can be replayed.
/// </summary>
internal static class FuzzRunner
{
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(2);
    public const long AllocationLimit = 500L << 20;

    // A call still running after this is abandoned (and reported), so a hang cannot stall the suite.
    private static readonly TimeSpan Abandon = TimeSpan.FromSeconds(20);

    public static FuzzReport Run(FuzzTarget target, int iterations, int seed, string findingsFolder)
    {
        var seeds = FuzzTargets.Seeds(target.Corpus);
        // A stable per-target stream (string.GetHashCode differs between processes).
        var mutator = new Mutator(new Random(seed * 7919 + target.Name.Sum(c => c)));
        var report = new FuzzReport(target.Name, seed);
        for (int i = 0; i < seeds.Count + iterations; i++)
        {
            var input = i < seeds.Count ? seeds[i] : target.Mutate(mutator, seeds[mutator.Random.Next(seeds.Count)], seeds);
            var (error, elapsed, allocated) = Call(target, input);
            string? problem =
                elapsed > Abandon ? $"still running after {Abandon.TotalSeconds:F0} s (abandoned)"
                : error is not null && !target.Documented.Any(t => t.IsInstanceOfType(error)) ? $"undocumented {error.GetType().Name}: {error.Message}"
                : elapsed > TimeLimit ? $"took {elapsed.TotalSeconds:F1} s"
                : allocated > AllocationLimit ? $"allocated {allocated >> 20} MB"
                : null;
            report.Add(error, elapsed, allocated);
            if (problem is not null) report.Findings.Add(Save(findingsFolder, target, i, input, problem, error));
        }
        return report;
    }

    private static (Exception? Error, TimeSpan Elapsed, long Allocated) Call(FuzzTarget target, byte[] input)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var call = Task.Run(() => target.Run(input));
        Exception? error = null;
        try
        {
            if (!call.Wait(Abandon)) return (null, Abandon + TimeSpan.FromTicks(1), 0);
        }
        catch (AggregateException e) { error = e.InnerException; }
        return (error, clock.Elapsed, GC.GetTotalAllocatedBytes(precise: true) - before);
    }

    private static string Save(string folder, FuzzTarget target, int iteration, byte[] input, string problem, Exception? error)
    {
        string dir = Path.Combine(folder, target.Name.Replace(' ', '-'));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, iteration.ToString(CultureInfo.InvariantCulture) + ".bin");
        File.WriteAllBytes(path, input);
        File.WriteAllText(path + ".txt", $"{problem}\n{error}");
        return $"input {iteration} ({input.Length} bytes, {path}): {problem}";
    }
}

/// <summary>What a fuzz run tried: inputs, how they ended, the slowest and the most memory-hungry, and the findings.</summary>
internal sealed class FuzzReport(string target, int seed)
{
    private readonly SortedDictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private int _inputs;
    private TimeSpan _slowest;
    private long _mostAllocated;

    public List<string> Findings { get; } = [];

    public void Add(Exception? error, TimeSpan elapsed, long allocated)
    {
        _inputs++;
        string outcome = error is null ? "accepted" : error.GetType().Name;
        _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
        if (elapsed > _slowest) _slowest = elapsed;
        if (allocated > _mostAllocated) _mostAllocated = allocated;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"fuzz {target} (seed {seed}): {_inputs} inputs; ");
        sb.AppendJoin(", ", _outcomes.Select(o => $"{o.Key} {o.Value}"));
        sb.Append(CultureInfo.InvariantCulture, $"; slowest {_slowest.TotalMilliseconds:F0} ms; most allocated {_mostAllocated / 1e6:F1} MB; {Findings.Count} findings");
        foreach (var f in Findings.Take(20)) sb.AppendLine().Append("  ").Append(f);
        return sb.ToString();
    }
}
