using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using CnnNative.Devices;
using CnnNative.Diagnostics;

namespace CnnNative.Bench;

/// <summary>conv2d forward, backward-data and backward-filter on the four anchor shapes, on every device present.</summary>
[MemoryDiagnoser]
public class ConvolutionBenchmarks : IWork
{
    private IDevice _device = null!;
    private DeviceBuffer _x = null!, _w = null!, _b = null!, _y = null!, _dx = null!, _dw = null!, _db = null!;
    private Conv2dGeometry _g;

    [ParamsSource(typeof(AvailableDevices), nameof(AvailableDevices.Names))]
    public string Device { get; set; } = "cpu";

    /// <summary>Index into <see cref="BenchShapes.Convolutions"/> (0: 64x1x28²→32 5x5, 1: 64x32x14²→64 5x5, 2: 32x64x56²→64 3x3, 3: 8x128x28²→128 3x3).</summary>
    [Params(0, 1, 2, 3)]
    public int Shape { get; set; }

    public double Flops(BenchmarkCase c) => BenchShapes.Convolutions[(int)c.Parameters["Shape"]].Flops;

    [GlobalSetup]
    public void Setup()
    {
        _device = CnnNative.Devices.Device.Create(Device);
        _g = BenchShapes.Convolutions[Shape];
        DeviceBuffer Alloc(int n) { var b = _device.Allocate(n); _device.Upload(Enumerable.Range(0, n).Select(i => (i % 17) * 0.05f - 0.4f).ToArray(), b); return b; }
        (_x, _w, _b, _y) = (Alloc(_g.InputLength), Alloc(_g.FilterLength), Alloc(_g.K), Alloc(_g.OutputLength));
        (_dx, _dw, _db) = (Alloc(_g.InputLength), Alloc(_g.FilterLength), Alloc(_g.K));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var b in new[] { _x, _w, _b, _y, _dx, _dw, _db }) b.Dispose();
        _device.Dispose();
    }

    [Benchmark]
    public void Forward() { _device.Conv2dForward(_g, _x, _w, _b, _y); _device.Synchronize(); }

    [Benchmark]
    public void BackwardData() { _device.Conv2dBackwardData(_g, _y, _w, _dx); _device.Synchronize(); }

    [Benchmark]
    public void BackwardFilter() { _device.Conv2dBackwardFilter(_g, _x, _y, _dw, _db); _device.Synchronize(); }
}
