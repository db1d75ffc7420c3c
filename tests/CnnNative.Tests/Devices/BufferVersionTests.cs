using CnnNative.Devices;

namespace CnnNative.Tests.Devices;

/// <summary>
/// DeviceBuffer.Version counts what may have written a buffer: uploads and every op's outputs, not the operands it
/// only reads, so a device can keep something derived from a buffer (packed weights) and know when it is stale.
/// </summary>
[TestFixture("reference")]
[TestFixture("cpu")]
public class BufferVersionTests(string deviceName)
{
    [Test]
    public void WritesCountAndReadsDoNot()
    {
        using var d = Device.Create(deviceName, 1);
        var g = new Conv2dGeometry(1, 1, 4, 4, 2, 3, 3, 1, 1, 1, 1);
        using var x = d.Allocate(g.InputLength);
        using var w = d.Allocate(g.FilterLength);
        using var y = d.Allocate(g.OutputLength);
        d.Upload(new float[g.InputLength], x);
        d.Upload(new float[g.FilterLength], w);
        long wv = w.Version, xv = x.Version, yv = y.Version;

        d.Conv2dForward(g, x, w, null, y);
        d.Conv2dForward(g, x, w, null, y, Activation.ReLU);
        d.Gemm(false, true, 2, 2, 9, 1f, w, w, 0f, y);
        d.Download(w, new float[g.FilterLength]);
        Assert.That((w.Version, x.Version), Is.EqualTo((wv, xv)), "convolution, GEMM operands and downloads only read");
        Assert.That(y.Version, Is.GreaterThan(yv), "an output is written");

        d.Upload([1f], w);
        Assert.That(w.Version, Is.GreaterThan(wv), "an upload writes");
        wv = w.Version;
        using var grad = d.Allocate(g.FilterLength);
        d.SgdStep(g.FilterLength, w, grad, null, 0.1f, 0f, 0f, false);
        Assert.That(w.Version, Is.GreaterThan(wv), "an optimizer step writes the parameters");
        wv = w.Version;
        d.Scale(g.FilterLength, 2f, w);
        Assert.That(w.Version, Is.GreaterThan(wv), "an op that takes a buffer without naming it an input counts as a write");
    }
}
