using CnnNative.Devices;

namespace CnnNative.Tests.Devices;

public class GeometryTests
{
    // Output side = floor((W − F + 2P) / S) + 1, from the workshop.
    [TestCase(28, 5, 1, 0, 24)]   // 28x28 input, 5x5 filters: 24x24 feature maps
    [TestCase(28, 5, 1, 2, 28)]   // "same" padding
    [TestCase(32, 5, 1, 0, 28)]
    [TestCase(7, 3, 2, 0, 3)]
    [TestCase(7, 3, 2, 1, 4)]
    [TestCase(5, 3, 1, 0, 3)]
    [TestCase(227, 11, 4, 0, 55)] // AlexNet's first layer
    [TestCase(8, 3, 3, 0, 2)]     // floor: the stride does not divide evenly
    public void OutputSizeFollowsTheFormula(int size, int kernel, int stride, int pad, int expected)
    {
        Assert.That(Conv2dGeometry.OutputSize(size, kernel, stride, pad), Is.EqualTo(expected));
        var g = new Conv2dGeometry(1, 1, size, size, 1, kernel, kernel, stride, stride, pad, pad);
        Assert.That((g.P, g.Q), Is.EqualTo((expected, expected)));
    }

    [Test]
    public void RectangularKernelsStridesAndPaddingAreIndependentPerAxis()
    {
        var g = new Conv2dGeometry(2, 3, 10, 20, 4, 3, 5, strideH: 1, strideW: 2, padH: 1, padW: 0);
        Assert.That((g.P, g.Q), Is.EqualTo((10, 8)));
        Assert.That(g.Flops, Is.EqualTo(2.0 * 2 * 4 * 3 * 3 * 5 * 10 * 8));
    }

    [Test]
    public void KernelLargerThanInputIsRejectedWithTheSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new Conv2dGeometry(1, 1, 4, 4, 8, 5, 5));
        Assert.That(ex!.Message, Does.Contain("5x5").And.Contain("4x4"));
    }

    [TestCase(0, 0)]
    [TestCase(-1, 0)]
    [TestCase(1, -1)]
    public void ZeroStrideOrNegativePaddingIsRejected(int stride, int pad)
        => Assert.Throws<ArgumentException>(() => _ = new Conv2dGeometry(1, 1, 8, 8, 1, 3, 3, stride, stride, pad, pad));

    [TestCase(28, 2, 2, 14)]
    [TestCase(28, 3, 2, 13)]      // overlapping pooling, F=3 S=2
    [TestCase(7, 2, 2, 3)]
    public void PoolOutputSize(int size, int window, int stride, int expected)
    {
        var g = new Pool2dGeometry(1, 1, size, size, window, window, stride, stride);
        Assert.That((g.P, g.Q), Is.EqualTo((expected, expected)));
    }
}
