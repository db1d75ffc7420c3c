using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Tensors;
using CnnNative.Tests.Layers;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

/// <summary>
/// ReLU → pooling in a Sequential: the pooling layer's backward applies the ReLU's gradient (one pass less). On every
/// device the stack's parameter gradients equal those of the same stack with the fusion broken by a pass-through
/// layer (Dropout(0)) between the two, with the ReLU fused into the convolution's forward (conv → relu → pool) and
/// standing alone (bn → relu → pool); each layer's own backward is checked against finite differences elsewhere.
/// </summary>
public class FusedGradientTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var device in LayerGradientTests.Devices)
            foreach (var stack in new[] { "conv-relu-maxpool", "conv-bn-relu-maxpool", "conv-relu-avgpool" })
                yield return new TestCaseData(device, stack).SetArgDisplayNames(device, stack);
    }

    private static List<Layer> Stack(string name, bool breakFusion)
    {
        List<Layer> layers = name switch
        {
            "conv-relu-maxpool" => [new Conv2d(3, 3, Padding.Same), new ReLU(), new MaxPool2d(2)],
            "conv-bn-relu-maxpool" => [new Conv2d(3, 3, Padding.Same), new BatchNorm2d(), new ReLU(), new MaxPool2d(2)],
            _ => [new Conv2d(3, 3, Padding.Same), new ReLU(), new AvgPool2d(2)],
        };
        if (breakFusion) layers.Insert(layers.Count - 1, new Dropout(0));
        return layers;
    }

    private static (float[][] Gradients, bool Fused) Gradients(string deviceName, string stack, bool breakFusion)
    {
        using var device = Device.Create(deviceName, threads: 2);
        using var model = new Sequential(device, new Shape(2, 6, 6), seed: 5);
        foreach (var layer in Stack(stack, breakFusion)) model.Add(layer);
        var rng = new Random(11);
        var shape = new Shape(3, 2, 6, 6);
        using var x = Tensor.FromSpan(device, shape, Enumerable.Range(0, shape.Size).Select(_ => rng.NextSingle() * 2 - 1).ToArray());
        var outShape = model.OutputShape.WithBatch(3);
        using var r = Tensor.FromSpan(device, outShape, Enumerable.Range(0, outShape.Size).Select(_ => rng.NextSingle() * 2 - 1).ToArray());
        foreach (var p in model.Parameters) device.Fill(p.Gradient.Buffer, p.Length, 0);
        model.Forward(x, training: true);
        model.Backward(r);
        return (model.Parameters.Select(p => p.Gradient.ToArray()).ToArray(), model.Layers.OfType<ReLU>().Single().GradientFusedIntoNext);
    }

    [TestCaseSource(nameof(Cases))]
    public void TheFusedStackGivesTheGradientsOfTheUnfusedOne(string deviceName, string stack)
    {
        var (fused, isFused) = Gradients(deviceName, stack, breakFusion: false);
        var (plain, plainFused) = Gradients(deviceName, stack, breakFusion: true);
        Assert.That(isFused, Is.True, "ReLU right before pooling: the pooling layer takes over its gradient");
        Assert.That(plainFused, Is.False, "a layer in between: the ReLU computes its own gradient");
        Assert.That(fused.Length, Is.EqualTo(plain.Length));
        for (int i = 0; i < fused.Length; i++)
        {
            Assert.That(plain[i].Any(v => v != 0), Is.True, $"parameter {i}: a gradient to compare");
            Assert.That(fused[i], Is.EqualTo(plain[i]).Within(1e-5f), $"{stack} on {deviceName}: gradient of parameter {i}");
        }
    }
}
