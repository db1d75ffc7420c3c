using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Tensors;
using CnnNative.Tests.Devices.Conformance;

namespace CnnNative.Tests.Layers;

/// <summary>Every layer's backward against finite differences, on the reference and on every device.</summary>
public class LayerGradientTests
{
    public static IEnumerable<string> Devices => new[] { "reference" }.Concat(TestDevices.Names);

    private static IEnumerable<(string name, Func<Layer> make, Shape input, int batch, bool distinct)> Layers()
    {
        yield return ("conv3x3", () => new Conv2d(4, 3), new Shape(2, 6, 6), 2, false);
        yield return ("conv5x5 pad2", () => new Conv2d(3, 5, padding: 2), new Shape(1, 7, 7), 2, false);
        yield return ("conv stride2 pad1", () => new Conv2d(5, 3, stride: 2, padding: 1), new Shape(3, 7, 8), 1, false);
        yield return ("conv rect 2x3", () => new Conv2d(2, 2, 3, 1, 2, 1, 0), new Shape(2, 5, 7), 2, false);
        yield return ("conv no bias", () => new Conv2d(2, 3, bias: false), new Shape(1, 5, 5), 1, false);
        yield return ("conv 3x3 same", () => new Conv2d(3, 3, Padding.Same), new Shape(2, 5, 6), 2, false);
        yield return ("conv 5x3 same", () => new Conv2d(2, 5, 3, Padding.Same), new Shape(1, 6, 5), 1, false);
        yield return ("maxpool2", () => new MaxPool2d(2), new Shape(3, 6, 6), 2, true);
        yield return ("maxpool3 s2", () => new MaxPool2d(3, 2), new Shape(2, 7, 7), 1, true);
        yield return ("avgpool2", () => new AvgPool2d(2), new Shape(2, 5, 5), 2, false);
        yield return ("avgpool3 s2", () => new AvgPool2d(3, 2), new Shape(2, 7, 7), 1, false);
        yield return ("relu", () => new ReLU(), new Shape(3, 4, 4), 2, true);
        yield return ("sigmoid", () => new Sigmoid(), new Shape(10), 3, false);
        yield return ("tanh", () => new Tanh(), new Shape(2, 3, 3), 2, false);
        yield return ("flatten", () => new Flatten(), new Shape(2, 3, 3), 2, false);
        yield return ("linear", () => new Linear(7), new Shape(13), 3, false);
        yield return ("linear from image", () => new Linear(4), new Shape(2, 3, 3), 2, false);
        yield return ("linear no bias", () => new Linear(3, bias: false), new Shape(5), 1, false);
        yield return ("softmax", () => new Softmax(), new Shape(6), 3, false);
        yield return ("batchnorm2d", () => new BatchNorm2d(), new Shape(3, 4, 5), 2, false);
        yield return ("batchnorm2d batch 1 odd map", () => new BatchNorm2d(1e-3f, 0.3f), new Shape(2, 3, 3), 1, false);
        yield return ("batchnorm1d", () => new BatchNorm1d(), new Shape(11), 5, false);
        yield return ("bn picks 1d", () => new BatchNorm(), new Shape(4), 3, false);
        yield return ("global avgpool", () => new GlobalAvgPool2d(), new Shape(3, 5, 4), 2, false);
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var device in Devices)
            foreach (var (name, make, input, batch, distinct) in Layers())
                yield return new TestCaseData(device, make, input, batch, distinct).SetArgDisplayNames(device, name);
    }

    [TestCaseSource(nameof(Cases))]
    public void BackwardMatchesFiniteDifferences(string deviceName, Func<Layer> make, Shape input, int batch, bool distinct)
    {
        using var device = Device.Create(deviceName, threads: 2);
        float[]? x = null;
        if (distinct)
        {
            // Max pooling and ReLU have kinks: use well-separated values away from 0 so ±ε never crosses one.
            int n = input.Size * batch;
            var rng = new Random(3);
            x = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Select(i => (i - n / 2 + 0.5f) * 0.05f).ToArray();
        }
        GradientCheck.Run(device, make(), input, batch, x);
    }

    [TestCaseSource(nameof(Devices))]
    public void DropoutPassesThroughAtInferenceAndMasksWhileTraining(string deviceName)
    {
        using var device = Device.Create(deviceName, threads: 2);
        using var model = new CnnNative.Training.Sequential(device, new Shape(1000), seed: 3);
        var dropout = new Dropout(0.25f);
        model.Add(dropout);
        var values = Enumerable.Range(1, 2000).Select(i => (float)i).ToArray();
        using var x = Tensor.FromSpan(device, new Shape(2, 1000), values);

        Assert.That(dropout.Forward(x, training: false).ToArray(), Is.EqualTo(values));

        var y = dropout.Forward(x, training: true).ToArray();
        int dropped = y.Count(v => v == 0);
        Assert.That(dropped, Is.InRange(400, 600), "about a quarter of 2000 elements dropped");
        for (int i = 0; i < y.Length; i++)
            if (y[i] != 0) Assert.That(y[i], Is.EqualTo(values[i] / 0.75f).Within(1e-3f));

        using var dy = Tensor.FromSpan(device, new Shape(2, 1000), Enumerable.Repeat(1f, 2000).ToArray());
        var dx = dropout.Backward(dy)!.ToArray();
        for (int i = 0; i < y.Length; i++) Assert.That(dx[i] == 0, Is.EqualTo(y[i] == 0), $"gradient mask at {i}");

        var again = dropout.Forward(x, training: true).ToArray();
        Assert.That(again, Is.Not.EqualTo(y), "each training step draws a new mask");
    }
}
