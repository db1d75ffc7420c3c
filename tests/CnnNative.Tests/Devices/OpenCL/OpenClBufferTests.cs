using CnnNative.Devices;
using CnnNative.Devices.OpenCL;

namespace CnnNative.Tests.Devices.OpenCL;

public class OpenClBufferTests
{
    private OpenClDevice _device = null!;

    [OneTimeSetUp]
    public void Open()
    {
        OpenClTestSupport.RequireOpenCl();
        _device = OpenClDevice.Create("opencl");
    }

    [OneTimeTearDown]
    public void Close() => _device?.Dispose();

    [Test]
    public void AnotherDeviceObjectOnTheSameHardwareOwnsItsOwnBuffers()
    {
        using var mine = _device.Allocate(4);
        using var other = OpenClDevice.Create("opencl");
        using var theirs = other.Allocate(4);
        Assert.Throws<ArgumentException>(() => _device.Axpy(4, 1f, theirs, mine));
        Assert.Throws<ArgumentException>(() => _device.Upload(new float[4], theirs));
    }

    [Test]
    public void OpsDoNotTouchElementsPastTheLength()
    {
        using var b = _device.Allocate(300);
        _device.Fill(b, 300, 7f);
        _device.Fill(b, 257, 1f);   // not a multiple of any work-group size
        _device.Scale(255, 3f, b);
        var read = new float[300];
        _device.Download(b, read);
        Assert.That(read[..255], Is.All.EqualTo(3f));
        Assert.That(read[255..257], Is.All.EqualTo(1f));
        Assert.That(read[257..], Is.All.EqualTo(7f));
    }
}
