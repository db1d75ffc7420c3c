using CnnNative.Devices.Reference;
using CnnNative.Layers;
using CnnNative.Models;
using CnnNative.Tensors;

namespace CnnNative.Tests.Models;

public class ModelSpecTests
{
    [TestCase("lenet5", 61_706)]
    [TestCase("convnet", 3_274_634)]
    public void BuiltInArchitecturesHaveTheExpectedParameterCounts(string name, long parameters)
    {
        using var device = new ReferenceDevice();
        using var model = ModelBuilder.Build(name, device, new Shape(1, 28, 28));
        Assert.That(model.ParameterCount, Is.EqualTo(parameters));
        Assert.That(model.OutputShape, Is.EqualTo(new Shape(10)));
        Assert.That(model.Layers[^1], Is.InstanceOf<Softmax>());
    }

    [TestCase("conv32k5p2-relu-maxpool2-conv64k5p2-relu-maxpool2-flatten-dense1024-relu-dropout0.4-dense10")]
    [TestCase("conv8k3x5s1x2p1x2nobias-tanh-avgpool3s2-flatten-dense10nobias-softmax")]
    [TestCase("conv4k3s2-sigmoid-maxpool2x1s1-dense10-softmax")]
    [TestCase("conv16k3ps-relu-maxpool2-conv8k5x3psnobias-relu-flatten-dense10-softmax")]
    [TestCase("conv8k3-bn-relu-conv8k3nobias-bne0.001m0.01-relu-gap-dense16-bn-relu-dense10")]
    public void SpecsRoundTripThroughTheModel(string spec)
    {
        using var device = new ReferenceDevice();
        using var model = ModelBuilder.Build(spec, device, new Shape(1, 28, 28));
        string expected = spec.EndsWith("softmax") ? spec : spec + "-softmax";
        Assert.That(model.Spec, Is.EqualTo(expected));
    }

    [TestCase("conv32k5-relu-maxpol2-dense10", "maxpol2", "token 3")]
    [TestCase("conv32-relu", "conv32", "token 1")]
    [TestCase("conv32k5--dense10", "''", "token 2")]
    [TestCase("dense10-dropout1.5", "dropout1.5", "token 2")]
    [TestCase("conv8k3s2ps-relu", "conv8k3s2ps", "token 1")]
    [TestCase("relu-conv8k4ps", "conv8k4ps", "token 2")]
    [TestCase("conv4k3-bnm1.5-relu", "bnm1.5", "token 2")]
    [TestCase("conv4k3-relu-bne-gap", "bne", "token 3")]
    [TestCase("conv4k3-gap5", "gap5", "token 2")]
    public void ABadTokenIsNamedWithItsPosition(string spec, string token, string position)
    {
        var ex = Assert.Throws<FormatException>(() => ModelSpec.Parse(spec));
        Assert.That(ex!.Message, Does.Contain(token).And.Contain(position).And.Contain("^"));
    }

    [Test]
    public void SamePaddingKeepsTheImageSizeAndExplainsWhatItCannotDo()
    {
        using var device = new ReferenceDevice();
        using var model = ModelBuilder.Build("conv8k3ps-relu-conv4k5x3ps", device, new Shape(1, 28, 27));
        Assert.That(model.Layers[0].OutputShape, Is.EqualTo(new Shape(8, 28, 27)));
        Assert.That(model.Layers[2].OutputShape, Is.EqualTo(new Shape(4, 28, 27)));
        var conv = (Conv2d)model.Layers[2];
        Assert.That((conv.PadH, conv.PadW, conv.SamePadding), Is.EqualTo((2, 1, true)));

        Assert.That(Assert.Throws<FormatException>(() => ModelSpec.Parse("conv8k3s2ps"))!.Message, Does.Contain("stride 1"));
        Assert.That(Assert.Throws<FormatException>(() => ModelSpec.Parse("conv8k4ps"))!.Message, Does.Contain("odd kernel"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new Conv2d(8, 2, 3, Padding.Same))!.Message, Does.Contain("2x3"));
    }
}
