using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using CnnNative.Devices;
using CnnNative.Diagnostics;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Bench;

/// <summary>
/// A/B of the cpu device's optional paths (<see cref="CpuPaths"/>: direct and implicit-GEMM convolution, lowering from
/// padded slices and the batch-1 split, grouped dot products, even column blocks, the few-rows GEMM driver, fused
/// activations and packed weights) against the paths they replaced, at both vector widths
/// (<see cref="CpuDeviceOptions.Isa"/>; Vector512 runs in software where AVX-512 is absent): each case creates its own
/// device with its options set, so the configurations never share state and may run in one process.
/// </summary>
[MemoryDiagnoser]
public class CpuPathBenchmarks : IWork
{
    private CpuDevice _device = null!;
    private readonly List<DeviceBuffer> _buffers = [];
    private DeviceBuffer _x = null!, _w = null!, _b = null!, _y = null!, _dw = null!, _db = null!, _ga = null!, _gb = null!, _gc = null!;
    private Sequential _model = null!;
    private Tensor _x64 = null!, _t64 = null!, _x1 = null!;
    private static readonly Conv2dGeometry MonoConv = BenchShapes.Convolutions[0];

    [Params(CpuPaths.None, CpuPaths.All)]
    public CpuPaths Paths { get; set; }

    [Params(CpuIsa.Vector256, CpuIsa.Vector512)]
    public CpuIsa Isa { get; set; }

    public double Flops(BenchmarkCase c) => c.Descriptor.WorkloadMethod.Name switch
    {
        nameof(MonoConvForward) or nameof(MonoConvBackwardFilter) => MonoConv.Flops,
        nameof(Gemm1024) => 2.0 * 1024 * 1024 * 1024,
        _ => 0,
    };

    [GlobalSetup]
    public void Setup()
    {
        _device = new CpuDevice(new CpuDeviceOptions { Paths = Paths, Isa = Isa });
        DeviceBuffer Alloc(int n) { var b = _device.Allocate(n); _device.Upload(Enumerable.Range(0, n).Select(i => (i % 11) * 0.1f - 0.5f).ToArray(), b); _buffers.Add(b); return b; }
        var g = MonoConv;
        (_x, _w, _b, _y, _dw, _db) = (Alloc(g.InputLength), Alloc(g.FilterLength), Alloc(g.K), Alloc(g.OutputLength), Alloc(g.FilterLength), Alloc(g.K));
        (_ga, _gb, _gc) = (Alloc(1024 * 1024), Alloc(1024 * 1024), Alloc(1024 * 1024));

        _model = ModelBuilder.Build("convnet", _device, new Shape(1, 28, 28), seed: 1);
        _model.Compile(new Adam(), Loss.CategoricalCrossEntropy);
        var rng = new Random(1);
        _x64 = Tensor.FromSpan(_device, new Shape(64, 1, 28, 28), Enumerable.Range(0, 64 * 784).Select(_ => rng.NextSingle()).ToArray());
        var targets = new float[640];
        for (int i = 0; i < 64; i++) targets[i * 10 + rng.Next(10)] = 1;
        _t64 = Tensor.FromSpan(_device, new Shape(64, 10), targets);
        _x1 = Tensor.FromSpan(_device, new Shape(1, 1, 28, 28), Enumerable.Range(0, 784).Select(_ => rng.NextSingle()).ToArray());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var b in _buffers) b.Dispose();
        foreach (var t in new[] { _x64, _t64, _x1 }) t.Dispose();
        _model.Dispose();
        _device.Dispose();
    }

    [Benchmark]
    public void MonoConvForward() => _device.Conv2dForward(MonoConv, _x, _w, _b, _y);

    [Benchmark]
    public void MonoConvBackwardFilter() => _device.Conv2dBackwardFilter(MonoConv, _x, _y, _dw, _db);

    [Benchmark]
    public void Gemm1024() => _device.Gemm(false, false, 1024, 1024, 1024, 1, _ga, _gb, 0, _gc);

    [Benchmark(Description = "convnet train step, batch 64")]
    public float ConvnetTrainStep()
    {
        var logits = _model.ForwardLogits(_x64, training: true);
        float loss = _model.ComputeLoss(logits, _t64);
        _model.Optimizer!.ZeroGrad();
        _model.Backward();
        _model.Optimizer.Step();
        return loss;
    }

    [Benchmark(Description = "convnet inference, batch 1")]
    public Tensor ConvnetBatch1() => _model.Forward(_x1);

    [Benchmark(Description = "convnet inference, batch 64")]
    public Tensor ConvnetBatch64() => _model.Forward(_x64);
}
