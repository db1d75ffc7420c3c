using System.Diagnostics;
using CnnNative.Data;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;
using CnnNative.Devices;
using CnnNative.Devices.Cpu;

namespace CnnNative.Tests.Devices.Cpu;

/// <summary>Same-process A/B timings of the cpu paths (explicit: run by hand, prints GFLOP/s best of several rounds).</summary>
[Explicit, Parallelizable(ParallelScope.None)]
public unsafe class CpuTimingAB
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

    [Test]
    public void LinearGemms()
    {
        using var d = new CpuDevice(2);
        var x = d.Allocate(64 * 3136); var w = d.Allocate(1024 * 3136); var y = d.Allocate(64 * 1024);
        var dw = d.Allocate(1024 * 3136); var dx = d.Allocate(64 * 3136);
        d.Upload(CpuTestSupport.Random(64 * 3136, 1), x); d.Upload(CpuTestSupport.Random(1024 * 3136, 2), w); d.Upload(CpuTestSupport.Random(64 * 1024, 3), y);
        double flops = 2.0 * 64 * 1024 * 3136;
        for (int ab = 0; ab < 2; ab++)
            foreach (bool on in new[] { false, true })
            {
                GemmPacking.Vectorised = on;
                double f = Best(() => d.Gemm(false, true, 64, 1024, 3136, 1f, x, w, 0f, y), 10);
                double g = Best(() => d.Gemm(true, false, 1024, 3136, 64, 1f, y, x, 0f, dw), 10);
                double b = Best(() => d.Gemm(false, false, 64, 3136, 1024, 1f, y, w, 0f, dx), 10);
                TestContext.Out.WriteLine($"vectorised packing={on}: x*Wt {f * 1e3:F2} ms {flops / f / 1e9:F1}, dyT*x {g * 1e3:F2} ms {flops / g / 1e9:F1}, dy*W {b * 1e3:F2} ms {flops / b / 1e9:F1} GFLOP/s");
            }
        GemmPacking.Vectorised = true;
        foreach (var buf in new[] { x, w, y, dw, dx }) buf.Dispose();
    }

    [Test]
    public unsafe void PackA()
    {
        int m = 144, k = 256, ld = 3136;
        var a = CpuTestSupport.Random(m * ld, 1);
        var dst = new float[m * k + 64];
        fixed (float* ap = a, dp = dst)
        {
            float* src = ap, d = dp;
            for (int ab = 0; ab < 2; ab++)
                foreach (bool on in new[] { false, true })
                {
                    GemmPacking.Vectorised = on;
                    double n = Best(() => GemmPacking.PackA(d, src, ld, false, 0, m, 0, k), 2000);
                    double t = Best(() => GemmPacking.PackA(d, src, m, true, 0, m, 0, k), 2000);
                    TestContext.Out.WriteLine($"vectorised={on}: PackA 144x256 plain {n * 1e6:F2} us, transposed {t * 1e6:F2} us");
                }
            GemmPacking.Vectorised = true;
        }
    }

    [Test]
    public void MicroKernelUpdate()
    {
        using var d = new CpuDevice(2);
        int n = 1024;
        var a = d.Allocate(n * n); var b = d.Allocate(n * n); var c = d.Allocate(n * n);
        d.Upload(CpuTestSupport.Random(n * n, 1), a); d.Upload(CpuTestSupport.Random(n * n, 2), b);
        var conv = new Conv2dGeometry(64, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2);
        var x = d.Allocate(conv.InputLength); var w = d.Allocate(conv.FilterLength); var y = d.Allocate(conv.OutputLength);
        var small = new Conv2dGeometry(64, 32, 14, 14, 32, 3, 3, 1, 1, 1, 1);
        for (int ab = 0; ab < 3; ab++)
            foreach (bool on in new[] { false, true })
            {
                GemmMicroKernel.InRegisters = on;
                double g = Best(() => d.Gemm(false, false, n, n, n, 1f, a, b, 0f, c), 3);
                double f = Best(() => d.Conv2dForward(conv, x, w, null, y), 5);
                double s = Best(() => d.Conv2dForward(small, x, w, null, y), 10);
                TestContext.Out.WriteLine($"in registers={on}: gemm 1024^3 {2.0 * n * n * n / g / 1e9:F1}, conv C32 K64 5x5 fwd {conv.Flops / f / 1e9:F1}, conv C32 K32 3x3 fwd {small.Flops / s / 1e9:F1} GFLOP/s");
            }
        GemmMicroKernel.InRegisters = true;
        foreach (var buf in new[] { a, b, c, x, w, y }) buf.Dispose();
    }

    [Test]
    public void FilterRowsFromSlice()
    {
        using var d = new CpuDevice(2);
        foreach (var g in new Conv2dGeometry[] { new(64, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2), new(32, 64, 28, 28, 64, 3, 3, 1, 1, 1, 1) })
        {
            var x = d.Allocate(g.InputLength); var y = d.Allocate(g.OutputLength); var dw = d.Allocate(g.FilterLength); var db = d.Allocate(g.K);
            d.Upload(CpuTestSupport.Random(g.InputLength, 1), x); d.Upload(CpuTestSupport.Random(g.OutputLength, 3), y);
            for (int ab = 0; ab < 3; ab++)
                foreach (bool on in new[] { false, true })
                {
                    Im2Col.RowsFromSliceEnabled = on;
                    double bf = Best(() => d.Conv2dBackwardFilter(g, x, y, dw, db), 3);
                    TestContext.Out.WriteLine($"{g} from slice={on}: bwd-filter {bf * 1e3:F2} ms {g.Flops / bf / 1e9:F1} GFLOP/s");
                }
            Im2Col.RowsFromSliceEnabled = true;
            foreach (var buf in new[] { x, y, dw, db }) buf.Dispose();
        }
    }

    private static void SetAll(bool on)
    {
        CpuConvolution.MonoEnabled = on;
        GemmPacking.Vectorised = on;
        GemmMicroKernel.InRegisters = on;
        Im2Col.RowsFromSliceEnabled = on;
        CpuConvolution.SplitSingleImageEnabled = on;
    }

    /// <summary>lenet5 / convnet training (batch 64, Adam) and batch-1 inference, every switch of this branch off vs on.</summary>
    [Test]
    public void Models()
    {
        using var device = new CpuDevice(2);
        var rng = new Random(1);
        int count = 64 * 20;
        var images = new float[count * 28 * 28];
        for (int i = 0; i < images.Length; i++) images[i] = rng.NextSingle();
        var labels = Enumerable.Range(0, count).Select(_ => rng.Next(10)).ToArray();
        var data = Dataset.FromArrays(images, new Shape(1, 28, 28), labels, 10);
        foreach (var (name, train) in new[] { ("lenet5", 64 * 20), ("convnet", 64 * 6) })
        {
            using var model = ModelBuilder.Build(name, device, data.InputShape, seed: 1);
            model.Compile(new Adam(), Loss.CategoricalCrossEntropy);
            model.Fit(data.Take(128), batchSize: 64, epochs: 1);
            var one = data.Image(0).ToArray();
            for (int ab = 0; ab < 3; ab++)
                foreach (bool on in new[] { false, true })
                {
                    SetAll(on);
                    double rate = 0;
                    for (int r = 0; r < 2; r++) rate = Math.Max(rate, model.Fit(data.Take(train), batchSize: 64, epochs: 1, shuffle: false).Last.ImagesPerSecond);
                    double b1 = Best(() => model.Predict(one), 50);
                    TestContext.Out.WriteLine($"{name} branch={on}: training {rate:F0} images/s, batch-1 inference {b1 * 1e3:F3} ms");
                }
            SetAll(true);
        }
    }

    [Test]
    public void SingleImageForward()
    {
        using var d = new CpuDevice(2);
        foreach (var g in new Conv2dGeometry[] { new(1, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2), new(1, 6, 14, 14, 16, 5, 5) })
        {
            var x = d.Allocate(g.InputLength); var w = d.Allocate(g.FilterLength); var b = d.Allocate(g.K); var y = d.Allocate(g.OutputLength);
            for (int ab = 0; ab < 3; ab++)
                foreach (bool on in new[] { false, true })
                {
                    CpuConvolution.SplitSingleImageEnabled = on;
                    double f = Best(() => d.Conv2dForward(g, x, w, b, y), 200);
                    TestContext.Out.WriteLine($"{g} split={on}: fwd {f * 1e6:F1} us");
                }
            CpuConvolution.SplitSingleImageEnabled = true;
            foreach (var buf in new[] { x, w, b, y }) buf.Dispose();
        }
    }
}
