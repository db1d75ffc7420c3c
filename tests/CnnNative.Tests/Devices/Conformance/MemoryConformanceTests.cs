using CnnNative.Devices.Reference;

namespace CnnNative.Tests.Devices.Conformance;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Names))]
public class MemoryConformanceTests(string device) : DeviceFixture(device)
{
    [Test]
    public void UploadAndDownloadRoundTripWithOffsets()
    {
        using var b = Pair.Device.Allocate(10);
        Pair.Device.Upload([1, 2, 3], b, offset: 4);
        var all = new float[10];
        Pair.Device.Download(b, all);
        Assert.That(all, Is.EqualTo(new float[] { 0, 0, 0, 0, 1, 2, 3, 0, 0, 0 }));
        var part = new float[2];
        Pair.Device.Download(b, part, offset: 5);
        Assert.That(part, Is.EqualTo(new float[] { 2, 3 }));
    }

    [Test]
    public void UploadPastTheEndIsRejected()
    {
        using var b = Pair.Device.Allocate(4);
        Assert.Throws<ArgumentException>(() => Pair.Device.Upload(new float[3], b, offset: 2));
        Assert.Throws<ArgumentException>(() => Pair.Device.Download(b, new float[5]));
    }

    [Test]
    public void UseAfterDisposeThrows()
    {
        var b = Pair.Device.Allocate(4);
        b.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Pair.Device.Fill(b, 4, 1));
        Assert.Throws<ObjectDisposedException>(() => Pair.Device.Download(b, new float[4]));
    }

    [Test]
    public void BufferOfAnotherDeviceIsRejected()
    {
        using var other = new ReferenceDevice();
        using var foreign = other.Allocate(4);
        using var mine = Pair.Device.Allocate(4);
        var ex = Assert.Throws<ArgumentException>(() => Pair.Device.Copy(foreign, mine, 4));
        Assert.That(ex!.Message, Does.Contain("Copy"));
    }
}
