using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using CnnNative.Devices;

namespace CnnNative.Bench;

/// <summary>
/// The cpu device alone, 1 thread vs 2: convolution on the two 3×3 anchor shapes and GEMM 1024³ (transposes
/// included), to see how close the C# kernels get to the FMA peak and how well they scale over cores.
/// </summary>
[MemoryDiagnoser]
public class CpuConvBenchmarks : IWork
{
    private static readonly Conv2dGeometry[] Shapes =
    [
        new(32, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1),
        new(8, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1),
    ];

    private const int GemmSize = 1024;

    private CpuDevice _device = null!;
    private readonly List<DeviceBuffer> _buffers = [];
    private DeviceBuffer _x = null!, _w = null!, _bias = null!, _y = null!, _dx = null!, _dw = null!, _db = null!;
    private DeviceBuffer _a = null!, _b = null!, _c = null!;
    private Conv2dGeometry _g;

    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>0: N=32,C=64,56²,K=64; 1: N=8,C=128,28²,K=128 (both 3×3, padding 1).</summary>
    [Params(0, 1)]
    public int Shape { get; set; }

    public double Flops(BenchmarkCase c)
        => c.Descriptor.WorkloadMethod.Name.StartsWith("Gemm")
            ? 2.0 * GemmSize * GemmSize * GemmSize
            : Shapes[(int)c.Parameters["Shape"]].Flops;

    [GlobalSetup]
    public void Setup()
    {
        _device = new CpuDevice(Threads);
        _g = Shapes[Shape];
        DeviceBuffer Alloc(int n)
        {
            var b = _device.Allocate(n);
            _device.Upload(Enumerable.Range(0, n).Select(i => (i % 17) * 0.05f - 0.4f).ToArray(), b);
            _buffers.Add(b);
            return b;
        }
        (_x, _w, _bias, _y) = (Alloc(_g.InputLength), Alloc(_g.FilterLength), Alloc(_g.K), Alloc(_g.OutputLength));
        (_dx, _dw, _db) = (Alloc(_g.InputLength), Alloc(_g.FilterLength), Alloc(_g.K));
        int n2 = GemmSize * GemmSize;
        (_a, _b, _c) = (Alloc(n2), Alloc(n2), Alloc(n2));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
        _device.Dispose();
    }

    [Benchmark]
    public void Forward() => _device.Conv2dForward(_g, _x, _w, _bias, _y);

    [Benchmark]
    public void BackwardData() => _device.Conv2dBackwardData(_g, _y, _w, _dx);

    [Benchmark]
    public void BackwardFilter() => _device.Conv2dBackwardFilter(_g, _x, _y, _dw, _db);

    /// <summary>GEMM 1024³ (the same for both shapes; Shape 1 runs it transposed: Aᵀ·Bᵀ).</summary>
    [Benchmark]
    public void Gemm1024() => _device.Gemm(Shape == 1, Shape == 1, GemmSize, GemmSize, GemmSize, 1f, _a, _b, 0f, _c);
}
