using CnnNative.Devices.Reference;

namespace CnnNative.Tests.Devices.Conformance;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
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
}
