using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CnnNative.Diagnostics;

/// <summary>
/// Measures the processor's float32 FMA ceiling: every thread runs a register-only loop of independent
/// 256-bit fused multiply-adds (12 accumulators hide the 4-cycle latency on two FMA pipes). The percentages
/// of peak in benchmark tables are relative to this number, measured on the same machine in the same run.
/// </summary>
public static class FmaPeak
{
    /// <summary>GFLOP/s over <paramref name="threads"/> threads (each FMA on 8 lanes counts 16 FLOPs).</summary>
    public static double Measure(int threads, double seconds = 0.3)
    {
        if (!Vector256.IsHardwareAccelerated) return 0;
        threads = threads <= 0 ? Environment.ProcessorCount : threads;
        long iterations = 1 << 20;
        var flops = new double[threads];
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            Loop(1 << 14); // warm up (and let the JIT produce the optimised loop)
            var local = Stopwatch.StartNew();
            long done = 0;
            while (local.Elapsed.TotalSeconds < seconds)
            {
                Loop(iterations);
                done += iterations;
            }
            flops[t] = done * 12.0 * 16 / local.Elapsed.TotalSeconds;
        }) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return flops.Sum() / 1e9;
    }

    /// <summary>FLOPs of one <see cref="RunFixed"/> call: 12 accumulators × 8 lanes × 2 per iteration per thread.</summary>
    public static double FixedFlops(int threads, long iterationsPerThread) => threads * (double)iterationsPerThread * 12 * 16;

    /// <summary>A fixed amount of FMA work on <paramref name="threads"/> threads, for timing by a harness (BenchmarkDotNet).</summary>
    public static void RunFixed(int threads, long iterationsPerThread)
    {
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => Loop(iterationsPerThread)) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop(long iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0,
                         c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
            c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
            c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }
        var s = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return Vector256.Sum(s);
    }
}
