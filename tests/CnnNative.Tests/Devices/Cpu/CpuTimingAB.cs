using System.Diagnostics;
using CnnNative.Devices;
using CnnNative.Devices.Cpu;

namespace CnnNative.Tests.Devices.Cpu;

/// <summary>Same-process A/B timings of the cpu paths (explicit: run by hand, prints GFLOP/s best of several rounds).</summary>
[Explicit, Parallelizable(ParallelScope.None)]
public class CpuTimingAB
{
    private static double Best(Action op, int reps)
    {
        op();
        double best = double.MaxValue;
        for (int round = 0; round < 7; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) op();
            best = Math.Min(best, sw.Elapsed.TotalSeconds / reps);
        }
        return best;
    }

    [Test]
    public void MonoConvolution()
    {
        using var d = new CpuDevice(2);
        foreach (var g in new Conv2dGeometry[] { new(64, 1, 28, 28, 32, 5, 5, 1, 1, 2, 2), new(64, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2), new(1, 1, 28, 28, 32, 5, 5, 1, 1, 2, 2) })
        {
            var x = d.Allocate(g.InputLength); var w = d.Allocate(g.FilterLength); var b = d.Allocate(g.K);
            var y = d.Allocate(g.OutputLength); var dw = d.Allocate(g.FilterLength); var db = d.Allocate(g.K);
            d.Upload(CpuTestSupport.Random(g.InputLength, 1), x); d.Upload(CpuTestSupport.Random(g.FilterLength, 2), w);
            d.Upload(CpuTestSupport.Random(g.OutputLength, 3), y);
            int reps = g.N == 1 ? 2000 : 20;
            for (int ab = 0; ab < 2; ab++)
                foreach (bool mono in new[] { false, true })
                {
                    CpuConvolution.MonoEnabled = mono;
                    double f = Best(() => d.Conv2dForward(g, x, w, b, y), reps);
                    double bf = Best(() => d.Conv2dBackwardFilter(g, x, y, dw, db), reps);
                    TestContext.Out.WriteLine($"{g} mono={mono}: fwd {f * 1e6:F0} us {g.Flops / f / 1e9:F1} GFLOP/s, bwd-filter {bf * 1e6:F0} us {g.Flops / bf / 1e9:F1} GFLOP/s");
                }
            CpuConvolution.MonoEnabled = true;
            foreach (var buf in new[] { x, w, b, y, dw, db }) buf.Dispose();
        }
    }
}
