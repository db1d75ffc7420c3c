using CnnNative.Devices.Reference;
using CnnNative.Layers;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Layers;

public class LayerShapeTests
{
    [Test]
    public void Conv2dOutputShapeFollowsTheFormula()
    {
        using var device = new ReferenceDevice();
        using var model = new Sequential(device, new Shape(1, 28, 28));
        model.Add(new Conv2d(32, 5));
        Assert.That(model.OutputShape, Is.EqualTo(new Shape(32, 24, 24)));
        model.Add(new MaxPool2d(2));
        Assert.That(model.OutputShape, Is.EqualTo(new Shape(32, 12, 12)));
        model.Add(new Conv2d(8, 3, stride: 2, padding: 1));
        Assert.That(model.OutputShape, Is.EqualTo(new Shape(8, 6, 6)));
        model.Add(new MaxPool2d(3, 2));
        Assert.That(model.OutputShape, Is.EqualTo(new Shape(8, 2, 2)));
        model.Add(new Flatten()).Add(new Linear(10));
        Assert.That(model.OutputShape, Is.EqualTo(new Shape(10)));
    }

    [Test]
    public void ALayerWhoseInputIsTooSmallForItsKernelIsRejectedAtAdd()
    {
        using var device = new ReferenceDevice();
        using var model = new Sequential(device, new Shape(1, 4, 4));
        var ex = Assert.Throws<ArgumentException>(() => model.Add(new Conv2d(8, 5)));
        Assert.That(ex!.Message, Does.Contain("conv2d_1").And.Contain("(1, 4, 4)").And.Contain("5x5"));
        var pool = Assert.Throws<ArgumentException>(() => model.Add(new MaxPool2d(5)));
        Assert.That(pool!.Message, Does.Contain("(1, 4, 4)"));
    }

    [Test]
    public void ZeroStrideAndNegativePaddingAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Conv2d(4, 3, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Conv2d(4, 3, padding: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MaxPool2d(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Dropout(1f));
    }

    [Test]
    public void ForwardRejectsAnInputOfTheWrongShape()
    {
        using var device = new ReferenceDevice();
        using var model = new Sequential(device, new Shape(1, 8, 8));
        model.Add(new Conv2d(2, 3));
        using var x = Tensor.Zeros(device, new Shape(2, 1, 9, 9));
        var ex = Assert.Throws<ArgumentException>(() => model.Forward(x));
        Assert.That(ex!.Message, Does.Contain("(1, 8, 8)").And.Contain("(2, 1, 9, 9)"));
    }

    [Test]
    public void SummaryListsLayersShapesAndParameterCounts()
    {
        using var device = new ReferenceDevice();
        using var model = new Sequential(device, new Shape(1, 28, 28));
        model.Add(new Conv2d(32, 5, padding: 2)).Add(new ReLU()).Add(new MaxPool2d(2)).Add(new Flatten()).Add(new Linear(10)).Add(new Softmax());
        string s = model.Summary();
        Assert.That(s, Does.Contain("conv2d_1 (Conv2d)").And.Contain("(None, 32, 28, 28)").And.Contain("832"));
        Assert.That(s, Does.Contain("linear_1 (Linear)").And.Contain("62,730"));
        Assert.That(model.ParameterCount, Is.EqualTo(832 + 32 * 14 * 14 * 10 + 10));
        Assert.That(s, Does.Contain($"Total params: {model.ParameterCount:N0}"));
    }
}
