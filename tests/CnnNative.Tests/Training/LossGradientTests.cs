using CnnNative.Devices;
using CnnNative.Tensors;
using CnnNative.Tests.Layers;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

public class LossGradientTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var device in LayerGradientTests.Devices)
            foreach (var loss in new[] { "categorical_crossentropy", "mse" })
                yield return new TestCaseData(device, loss).SetArgDisplayNames(device, loss);
    }

    [TestCaseSource(nameof(Cases))]
    public void GradientMatchesFiniteDifferences(string deviceName, string lossName)
    {
        using var device = Device.Create(deviceName, threads: 2);
        var loss = Loss.FromName(lossName);
        var rng = new Random(5);
        const int n = 4, classes = 7;
        var shape = new Shape(n, classes);
        using var output = Tensor.FromSpan(device, shape, Enumerable.Range(0, n * classes).Select(_ => rng.NextSingle() * 4 - 2).ToArray());
        var t = new float[n * classes];
        for (int i = 0; i < n; i++) t[i * classes + rng.Next(classes)] = 1;
        using var target = Tensor.FromSpan(device, shape, t);

        using var gradient = Tensor.Zeros(device, shape);
        loss.Forward(output, target, gradient);
        var analytic = gradient.ToArray();
        GradientCheck.CheckTensor("output", output, analytic, () => loss.Forward(output, target, gradient), probes: 28, rng, lossName);
    }

    [Test]
    public void CrossEntropyOfAKnownCaseIsLogOfTheSoftmax()
    {
        using var device = Device.Create("reference");
        var loss = Loss.CategoricalCrossEntropy;
        using var z = Tensor.FromSpan(device, new Shape(1, 3), [1f, 2f, 3f]);
        using var t = Tensor.FromSpan(device, new Shape(1, 3), [0f, 0f, 1f]);
        double expected = -Math.Log(Math.Exp(3) / (Math.Exp(1) + Math.Exp(2) + Math.Exp(3)));
        using var gradient = Tensor.Zeros(device, z.Shape);
        Assert.That(loss.Forward(z, t, gradient), Is.EqualTo(expected).Within(1e-6));
    }

    [Test]
    public void CrossEntropyAcceptsSoftTargets()
    {
        using var device = Device.Create("reference");
        var loss = Loss.CategoricalCrossEntropy;
        using var z = Tensor.FromSpan(device, new Shape(1, 2), [0f, 0f]);
        using var t = Tensor.FromSpan(device, new Shape(1, 2), [0.25f, 0.75f]);
        using var gradient = Tensor.Zeros(device, z.Shape);
        Assert.That(loss.Forward(z, t, gradient), Is.EqualTo(Math.Log(2)).Within(1e-6));
        Assert.That(gradient.ToArray(), Is.EqualTo(new[] { 0.25f, -0.25f }).Within(1e-6f));
    }

    [Test]
    public void MseIsTheMeanOverOutputs()
    {
        using var device = Device.Create("reference");
        var loss = Loss.MeanSquaredError;
        using var y = Tensor.FromSpan(device, new Shape(2, 2), [1f, 2f, 3f, 4f]);
        using var t = Tensor.FromSpan(device, new Shape(2, 2), [0f, 2f, 3f, 2f]);
        using var gradient = Tensor.Zeros(device, y.Shape);
        Assert.That(loss.Forward(y, t, gradient), Is.EqualTo((1 + 0 + 0 + 4) / 4.0 * 2 / 2).Within(1e-6));
    }

    [Test]
    public void ShapeMismatchIsRejected()
    {
        using var device = Device.Create("reference");
        var loss = Loss.CategoricalCrossEntropy;
        using var y = Tensor.Zeros(device, new Shape(2, 3));
        using var t = Tensor.Zeros(device, new Shape(2, 4));
        using var gradient = Tensor.Zeros(device, y.Shape);
        var ex = Assert.Throws<ArgumentException>(() => loss.Forward(y, t, gradient));
        Assert.That(ex!.Message, Does.Contain("(2, 3)").And.Contain("(2, 4)"));
    }
}
