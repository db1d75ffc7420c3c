using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using CnnNative.Devices;
using CnnNative.Diagnostics;

namespace CnnNative.Bench;

/// <summary>GEMM square and skinny, pooling and softmax cross-entropy, on every device present.</summary>
[MemoryDiagnoser]
public class DenseBenchmarks : IWork
{
    private IDevice _device = null!;
    private readonly List<DeviceBuffer> _buffers = [];
    private DeviceBuffer _a = null!, _b = null!, _c = null!, _px = null!, _py = null!, _pdx = null!, _z = null!, _t = null!, _g = null!;

    [ParamsSource(typeof(AvailableDevices), nameof(AvailableDevices.Names))]
    public string Device { get; set; } = "cpu";

    /// <summary>Index into <see cref="BenchShapes.Gemms"/>.</summary>
    [Params(0, 1, 2)]
    public int Gemm { get; set; }

    public double Flops(BenchmarkCase c)
    {
        if (!c.Descriptor.WorkloadMethod.Name.StartsWith("Gemm")) return 0;
        var (m, n, k) = BenchShapes.Gemms[(int)c.Parameters["Gemm"]];
        return 2.0 * m * n * k;
    }

    [GlobalSetup]
    public void Setup()
    {
        _device = CnnNative.Devices.Device.Create(Device);
        DeviceBuffer Alloc(int n) { var b = _device.Allocate(n); _device.Upload(Enumerable.Range(0, n).Select(i => (i % 13) * 0.1f - 0.6f).ToArray(), b); _buffers.Add(b); return b; }
        var (m, n, k) = BenchShapes.Gemms[Gemm];
        (_a, _b, _c) = (Alloc(m * k), Alloc(k * n), Alloc(m * n));
        var p = BenchShapes.Pool;
        (_px, _py, _pdx) = (Alloc(p.InputLength), Alloc(p.OutputLength), Alloc(p.InputLength));
        var (rows, cols) = BenchShapes.SoftmaxCrossEntropy;
        (_z, _t, _g) = (Alloc(rows * cols), Alloc(rows * cols), Alloc(rows * cols));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var b in _buffers) b.Dispose();
        _device.Dispose();
    }

    [Benchmark]
    public void GemmNN()
    {
        var (m, n, k) = BenchShapes.Gemms[Gemm];
        _device.Gemm(false, false, m, n, k, 1, _a, _b, 0, _c);
        _device.Synchronize();
    }

    [Benchmark]
    public void MaxPoolForward() { _device.Pool2dForward(BenchShapes.Pool, PoolMode.Max, _px, _py); _device.Synchronize(); }

    [Benchmark]
    public void MaxPoolBackward() { _device.Pool2dBackward(BenchShapes.Pool, PoolMode.Max, _px, _py, _pdx); _device.Synchronize(); }

    [Benchmark]
    public void AvgPoolForward() { _device.Pool2dForward(BenchShapes.Pool, PoolMode.Average, _px, _py); _device.Synchronize(); }

    [Benchmark]
    public void AvgPoolBackward() { _device.Pool2dBackward(BenchShapes.Pool, PoolMode.Average, _px, _py, _pdx); _device.Synchronize(); }

    [Benchmark]
    public float SoftmaxCrossEntropy()
    {
        var (rows, cols) = BenchShapes.SoftmaxCrossEntropy;
        return _device.SoftmaxCrossEntropy(rows, cols, _z, _t, _g, 1f / rows);
    }
}
