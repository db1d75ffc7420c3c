using CnnNative.Devices;
using CnnNative.Devices.Reference;

namespace CnnNative.Tests.Devices;

/// <summary>The workshop's worked examples, computed by the reference device.</summary>
public class WorkedExampleTests
{
    private static float[] Conv(float[] image, int h, int w, float[] filter, int r, int s)
    {
        using var device = new ReferenceDevice();
        var g = new Conv2dGeometry(1, 1, h, w, 1, r, s);
        using var x = device.Allocate(g.InputLength);
        using var f = device.Allocate(g.FilterLength);
        using var y = device.Allocate(g.OutputLength);
        device.Upload(image, x);
        device.Upload(filter, f);
        device.Conv2dForward(g, x, f, null, y);
        var result = new float[g.OutputLength];
        device.Download(y, result);
        return result;
    }

    [Test]
    public void BinaryImageWithXFilterGivesTheWorkshopFeatureMap()
    {
        float[] image =
        [
            1, 1, 1, 0, 0,
            0, 1, 1, 1, 0,
            0, 0, 1, 1, 1,
            0, 0, 1, 1, 0,
            0, 1, 1, 0, 0,
        ];
        float[] filter = [1, 0, 1, 0, 1, 0, 1, 0, 1];
        var map = Conv(image, 5, 5, filter, 3, 3);
        Assert.That(map[0], Is.EqualTo(4));
        Assert.That(map, Is.EqualTo(new float[] { 4, 3, 4, 2, 4, 3, 2, 3, 4 }));
    }

    [Test]
    public void CurveDetectorOnAMatchingReceptiveFieldGives6600()
    {
        // A 7x7 filter that is 30 along a curve and 0 elsewhere; the receptive field holds the same curve.
        (int r, int c)[] curve = [(1, 5), (2, 4), (3, 3), (4, 3), (5, 3)];
        float[] pixels = [50, 50, 50, 20, 50];
        var filter = new float[49];
        var field = new float[49];
        for (int i = 0; i < curve.Length; i++)
        {
            filter[curve[i].r * 7 + curve[i].c] = 30;
            field[curve[i].r * 7 + curve[i].c] = pixels[i];
        }
        Assert.That(Conv(field, 7, 7, filter, 7, 7), Is.EqualTo(new float[] { 6600 }));
    }

    [Test]
    public void TwentyEightSquareInputWithFiveSquareFiltersGives24SquareMaps()
    {
        var map = Conv(new float[28 * 28], 28, 28, new float[25], 5, 5);
        Assert.That(map, Has.Length.EqualTo(24 * 24));
    }
}
