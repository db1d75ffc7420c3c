using CnnNative.Devices;
using static CnnNative.Tests.Devices.Conformance.ShapeSweepConformanceTests;

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
}
