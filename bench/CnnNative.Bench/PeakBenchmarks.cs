using BenchmarkDotNet.Attributes;
using CnnNative.Diagnostics;

namespace CnnNative.Bench;

/// <summary>The FMA ceiling the "% of peak" columns divide by, as a benchmark of its own (GFLOP/s is the return value).</summary>
public class PeakBenchmarks
{
    [Params(1, 2)]
    public int Threads { get; set; }

    [Benchmark]
    public double FmaPeakGflops() => FmaPeak.Measure(Threads, 0.2);
}
