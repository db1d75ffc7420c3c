using CnnNative.Devices;
using CnnNative.Devices.Cpu;
using static CnnNative.Tests.Devices.Conformance.ShapeSweepConformanceTests;
using static CnnNative.Tests.Devices.DeviceTestSupport;

namespace CnnNative.Tests.Devices.Cpu;

/// <summary>
/// What only the cpu device promises on top of the conformance suites: bitwise-identical results on one and two
/// threads for every op of the shape sweep (<see cref="Conformance.ShapeSweepConformanceTests"/>), and what it reports.
/// </summary>
[Category(Conformance.TestDevices.CpuCategory)]
public class CpuOpTests
{
    [TestCaseSource(typeof(Conformance.ShapeSweepConformanceTests), nameof(Cases))]
    public void OneAndTwoThreadsGiveIdenticalBits(OpCase c)
    {
        using var one = new CpuDevice(1);
        using var two = new CpuDevice(2);
        var (a, ra) = Execute(one, c);
        var (b, rb) = Execute(two, c);
        Compare.BitwiseEqual(b, a, c.Name);
        Assert.That(BitConverter.SingleToInt32Bits(rb), Is.EqualTo(BitConverter.SingleToInt32Bits(ra)), c.Name);
    }

    [Test]
    public void InfoNamesTheProcessorTheInstructionSetAndTheThreads()
    {
        using var cpu = new CpuDevice(2);
        Assert.That(cpu.Info.Name, Is.EqualTo("cpu"));
        Assert.That(cpu.Info.ComputeUnits, Is.EqualTo(2));
        Assert.That(cpu.Info.Details["threads"], Is.EqualTo("2"));
        Assert.That(cpu.Info.Details["isa"], Is.Not.Empty);
        Assert.That(cpu.Info.Description, Does.Contain(cpu.Info.Details["isa"]));
        using var created = Device.Create("cpu", threads: 1);
        Assert.That(created, Is.InstanceOf<CpuDevice>());
        Assert.That(((CpuDevice)created).Threads, Is.EqualTo(1));
        // A forced width keeps the name it was created by, so bench rows and logs say which kernels ran.
        using var narrow = Device.Create("cpu:vector256", threads: 1);
        Assert.That(narrow.Name, Is.EqualTo("cpu:vector256"));
        Assert.That(narrow.Info.Name, Is.EqualTo("cpu:vector256"));
    }

    [Test]
    public void OptionsReachTheDeviceThroughDeviceCreate()
    {
        var options = new CpuDeviceOptions { Threads = 2, Paths = CpuPaths.All & ~CpuPaths.PackedWeights, Isa = CpuIsa.Vector256 };
        using var device = Device.Create(options);
        var cpu = (CpuDevice)device;
        Assert.That(cpu.Options, Is.EqualTo(options));
        Assert.That(cpu.Threads, Is.EqualTo(2));
        Assert.That(device.Name, Is.EqualTo("cpu:vector256"));
        Assert.That(device.Info.Details["paths"], Does.Not.Contain(nameof(CpuPaths.PackedWeights)));
        Assert.Throws<ArgumentNullException>(() => Device.Create((CpuDeviceOptions)null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => Device.Create(new CpuDeviceOptions { Threads = -1 }));
    }

    /// <summary>
    /// 2×2 pooling as one stream of row pairs (<see cref="CpuPaths.StreamPooling"/>) gives the plane-by-plane path's
    /// bits, forward and backward, max (with ties, signed zeros and NaNs) and average, at both widths.
    /// </summary>
    [TestCase(64, 16, 10, 10)]   // LeNet's second pool: rows of 5 windows, two tasks
    [TestCase(9, 6, 28, 28)]     // LeNet's first: 14 windows a row
    [TestCase(3, 5, 6, 8)]       // 4 windows a row: the last pairs of a range are pooled exactly, not a block past it
    [TestCase(2, 3, 4, 32)]      // 16 windows a row: one whole block a pair
    [TestCase(4, 3, 2, 16)]      // 8 windows a row
    [TestCase(5, 3, 2, 6)]       // 3 windows a row, one row pair a plane
    [TestCase(3, 7, 4, 62)]      // 31 windows a row, the widest streamed
    [TestCase(1, 1, 2, 2)]       // one window
    public void StreamPoolingGivesThePlaneByPlaneBits(int n, int c, int h, int w)
    {
        var g = new Pool2dGeometry(n, c, h, w, 2, 2, 2, 2);
        var x = Conformance.ShapeSweepConformanceTests.Data(g.InputLength, 21);
        for (int i = 0; i < x.Length; i += 5) x[i] = i % 3 == 0 ? -0f : 0f;
        for (int i = 2; i < x.Length; i += 97) x[i] = float.NaN;
        var dy = Conformance.ShapeSweepConformanceTests.Data(g.OutputLength, 22);
        foreach (var isa in new[] { CpuIsa.Vector256, CpuIsa.Vector512 })
        {
            using var streamed = new CpuDevice(new CpuDeviceOptions { Threads = 2, Isa = isa });
            using var planes = new CpuDevice(new CpuDeviceOptions { Threads = 2, Isa = isa, Paths = CpuPaths.All & ~CpuPaths.StreamPooling });
            // Without AVX2 (the portable leg) every 2×2 pool takes the generic path, streamed or not.
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
                Assert.That(CpuPool2d.StreamBlock(g, CpuPaths.All, isa, backward: false), Is.Not.Zero, "forward is streamed");
            foreach (var mode in Enum.GetValues<PoolMode>())
            {
                float[][] Forward(IDevice device) => Run(device, [x, new float[g.OutputLength]], (d, b) => d.Pool2dForward(g, mode, b[0], b[1]));
                float[][] Backward(IDevice device, Activation? f) => Run(device, [x, dy, new float[g.InputLength]],
                    (d, b) => { if (f is { } a) d.Pool2dBackward(g, mode, b[0], b[1], b[2], a); else d.Pool2dBackward(g, mode, b[0], b[1], b[2]); });
                string context = $"{mode} {g} {isa}";
                Compare.BitwiseEqual(Forward(streamed), Forward(planes), $"forward {context}");
                Compare.BitwiseEqual(Backward(streamed, null), Backward(planes, null), $"backward {context}");
                Compare.BitwiseEqual(Backward(streamed, Activation.ReLU), Backward(planes, Activation.ReLU), $"backward through ReLU {context}");
            }
        }
    }
}
