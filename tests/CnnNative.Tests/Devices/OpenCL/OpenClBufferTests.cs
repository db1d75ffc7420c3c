using CnnNative.Devices;
using CnnNative.Devices.OpenCL;
using CnnNative.Devices.Reference;

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
    public void NewBuffersAreZeroAndRoundTrip()
    {
        using var b = _device.Allocate(37);
        Assert.That(b, Is.InstanceOf<OpenClBuffer>());
        var read = new float[37];
        _device.Download(b, read);
        Assert.That(read, Is.All.EqualTo(0f));
        var data = Enumerable.Range(0, 37).Select(i => i * 0.5f).ToArray();
        _device.Upload(data, b);
        _device.Download(b, read);
        Assert.That(read, Is.EqualTo(data));
    }

    [Test]
    public void EmptyBuffersWork()
    {
        using var b = _device.Allocate(0);
        _device.Upload(ReadOnlySpan<float>.Empty, b);
        _device.Download(b, Span<float>.Empty);
        _device.Fill(b, 0, 1f);
        Assert.That(b.Length, Is.EqualTo(0));
    }

    [Test]
    public void LengthMismatchesAreRejectedWithTheSizes()
    {
        using var b = _device.Allocate(8);
        var up = Assert.Throws<ArgumentException>(() => _device.Upload(new float[9], b));
        Assert.That(up!.Message, Does.Contain("Upload").And.Contain("8").And.Contain("9"));
        Assert.Throws<ArgumentException>(() => _device.Upload(new float[4], b, offset: 5));
        var down = Assert.Throws<ArgumentException>(() => _device.Download(b, new float[3], offset: 6));
        Assert.That(down!.Message, Does.Contain("Download"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _device.Download(b, new float[1], offset: -1));
        var op = Assert.Throws<ArgumentException>(() => _device.Axpy(9, 1f, b, b));
        Assert.That(op!.Message, Does.Contain("Axpy"));
        using var y = _device.Allocate(10);
        var gemm = Assert.Throws<ArgumentException>(() => _device.Gemm(false, false, 3, 3, 3, 1, b, b, 0, y));
        Assert.That(gemm!.Message, Does.Contain("Gemm").And.Contain("9"));
    }

    [Test]
    public void UseAfterDisposeThrows()
    {
        var b = _device.Allocate(4);
        b.Dispose();
        b.Dispose(); // twice is harmless
        Assert.That(b.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => _device.Upload(new float[4], b));
        Assert.Throws<ObjectDisposedException>(() => _device.Download(b, new float[4]));
        Assert.Throws<ObjectDisposedException>(() => _device.Scale(4, 2f, b));
    }

    [Test]
    public void ADisposedDeviceRefusesWork()
    {
        var device = OpenClDevice.Create("opencl");
        var b = device.Allocate(4);
        device.Dispose();
        Assert.Throws<ObjectDisposedException>(() => device.Allocate(4));
        Assert.Throws<ObjectDisposedException>(() => device.Fill(b, 4, 1f));
        Assert.Throws<ObjectDisposedException>(() => device.Synchronize());
        b.Dispose(); // a buffer outliving its device still releases cleanly
    }

    [Test]
    public void BuffersOfOtherDevicesAreRejected()
    {
        using var mine = _device.Allocate(4);
        using var reference = new ReferenceDevice();
        using var hostBuffer = reference.Allocate(4);
        var ex = Assert.Throws<ArgumentException>(() => _device.Copy(hostBuffer, mine, 4));
        Assert.That(ex!.Message, Does.Contain("reference").And.Contain("Copy"));

        // Another OpenCL device object (even on the same hardware) owns its own buffers.
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
