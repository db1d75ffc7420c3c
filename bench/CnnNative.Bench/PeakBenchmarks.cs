using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using CnnNative.Diagnostics;

namespace CnnNative.Bench;

/// <summary>The FMA ceiling the "% of peak" columns divide by: a fixed register-only FMA loop per thread.</summary>
public class PeakBenchmarks : IWork
{
    private const long Iterations = 1 << 22;

    [Params(1, 2)]
    public int Threads { get; set; }

    public double Flops(BenchmarkCase c) => FmaPeak.FixedFlops((int)c.Parameters["Threads"], Iterations);

    [Benchmark]
    public void FmaLoop() => FmaPeak.RunFixed(Threads, Iterations);
}
