using System.Diagnostics;
using System.Runtime.CompilerServices;
using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Diagnostics;

/// <summary>The FMA ceilings measured at each vector width the processor runs in hardware.</summary>
/// <param name="Vector256Gflops">GFLOP/s with 256-bit vectors (0 where they are not accelerated).</param>
/// <param name="Vector512Gflops">GFLOP/s with 512-bit vectors, or null where AVX-512 is absent (or turned off).</param>
internal sealed record FmaPeakReading(double Vector256Gflops, double? Vector512Gflops)
{
    /// <summary>The machine's peak: the larger of the two. Every "% of peak" divides by this.</summary>
    public double WidestGflops => Math.Max(Vector256Gflops, Vector512Gflops ?? 0);

    /// <summary>"Vector512" or "Vector256": the width <see cref="WidestGflops"/> was measured at.</summary>
    public string WidestWidth => Vector512Gflops is { } v && v >= Vector256Gflops ? "Vector512" : "Vector256";
}

/// <summary>
/// Measures the processor's float32 FMA ceiling: every thread runs a register-only loop of independent fused
/// multiply-adds (12 accumulators hide the 4-cycle latency on two FMA pipes), once with 256-bit vectors and, where
/// the processor runs them in hardware, once with 512-bit vectors (on AVX-512 machines with full-width units, twice
/// the 256-bit rate). The percentages of peak in benchmark tables are relative to the widest, measured on the same
/// machine in the same run. It agrees with the C meter in the peers' folder (fma_peak.c) within a few per cent.
/// </summary>
internal static class FmaPeak
{
    /// <summary>GFLOP/s of the widest hardware vectors over <paramref name="threads"/> threads.</summary>
    public static double Measure(int threads, double seconds = 0.3) => MeasureWidths(threads, seconds).WidestGflops;

    /// <summary>Both widths' GFLOP/s over <paramref name="threads"/> threads, each the best of three rounds.</summary>
    public static FmaPeakReading MeasureWidths(int threads, double seconds = 0.3)
    {
        threads = threads <= 0 ? Environment.ProcessorCount : threads;
        double v256 = V256.IsHardwareAccelerated ? Best<V256>(threads, seconds) : 0;
        double? v512 = V512.IsHardwareAccelerated ? Best<V512>(threads, seconds) : null;
        return new FmaPeakReading(v256, v512);
    }

    private static double Best<TVec>(int threads, double seconds) where TVec : unmanaged, IVec<TVec>
    {
        double best = 0;
        for (int round = 0; round < 3; round++) best = Math.Max(best, Once<TVec>(threads, seconds / 3));
        return best;
    }

    private static double Once<TVec>(int threads, double seconds) where TVec : unmanaged, IVec<TVec>
    {
        const long iterations = 1 << 18;
        var flops = new double[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            Loop<TVec>(1 << 14); // warm up (and let the JIT produce the optimised loop)
            var local = Stopwatch.StartNew();
            long done = 0;
            while (local.Elapsed.TotalSeconds < seconds)
            {
                Loop<TVec>(iterations);
                done += iterations;
            }
            flops[t] = done * FlopsPerIteration<TVec>() / local.Elapsed.TotalSeconds;
        }) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return flops.Sum() / 1e9;
    }

    /// <summary>12 accumulators × lanes × 2 FLOPs.</summary>
    private static double FlopsPerIteration<TVec>() where TVec : unmanaged, IVec<TVec> => 12.0 * TVec.Count * 2;

    /// <summary>Whether <see cref="RunFixed"/> runs 512-bit vectors (the widest the processor runs in hardware).</summary>
    private static bool FixedIsWide => V512.IsHardwareAccelerated;

    /// <summary>FLOPs of one <see cref="RunFixed"/> call: 12 accumulators × lanes of the widest vectors × 2 per iteration per thread.</summary>
    public static double FixedFlops(int threads, long iterationsPerThread)
        => threads * (double)iterationsPerThread * (FixedIsWide ? FlopsPerIteration<V512>() : FlopsPerIteration<V256>());

    /// <summary>A fixed amount of FMA work with the widest vectors on <paramref name="threads"/> threads, for timing by a harness (BenchmarkDotNet).</summary>
    public static void RunFixed(int threads, long iterationsPerThread)
    {
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            if (FixedIsWide) Loop<V512>(iterationsPerThread);
            else Loop<V256>(iterationsPerThread);
        }) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe float Loop<TVec>(long iterations) where TVec : unmanaged, IVec<TVec>
    {
        var m = TVec.Broadcast(0.999999f);
        var a = TVec.Broadcast(1e-7f);
        TVec c0 = TVec.One, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < iterations; i++)
        {
            c0 = TVec.MulAdd(c0, m, a); c1 = TVec.MulAdd(c1, m, a);
            c2 = TVec.MulAdd(c2, m, a); c3 = TVec.MulAdd(c3, m, a);
            c4 = TVec.MulAdd(c4, m, a); c5 = TVec.MulAdd(c5, m, a);
            c6 = TVec.MulAdd(c6, m, a); c7 = TVec.MulAdd(c7, m, a);
            c8 = TVec.MulAdd(c8, m, a); c9 = TVec.MulAdd(c9, m, a);
            c10 = TVec.MulAdd(c10, m, a); c11 = TVec.MulAdd(c11, m, a);
        }
        var s = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return TVec.Sum(s);
    }
}
