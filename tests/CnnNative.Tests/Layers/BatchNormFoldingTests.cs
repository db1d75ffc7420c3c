using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Devices.Reference;
using CnnNative.Layers;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Tests.Devices;
using CnnNative.Training;

namespace CnnNative.Tests.Layers;

/// <summary>
/// Sequential folds Conv2d → BatchNorm (→ ReLU) into the convolution's filters in its own inference passes (Predict,
/// Evaluate): what they compute must stay what the layers compute one by one (<see cref="Sequential.Forward"/>, which
/// does not fold), within rounding, on every device, after training changes the weights and the running statistics,
/// after a load, and under concurrent calls.
/// </summary>
public class BatchNormFoldingTests
{
    // conv → bn → relu → pool (folded with its ReLU), conv → bn (folded, no activation), conv → relu → bn (not: the
    // normalization follows a nonlinearity), and dense → bn → relu (folded with its ReLU).
    private const string Spec = "conv8k3p1-bn-relu-maxpool2-conv16k3p1-bn-conv8k3-relu-bn-flatten-dense12-bn-relu-dense3-softmax";

    private static readonly Shape Input = new(2, 10, 10);

    private static Dataset Data(int n, int seed)
    {
        var images = DeviceTestSupport.Random(n * Input.Size, seed);
        return Dataset.FromArrays(images, Input, Enumerable.Range(0, n).Select(i => i % 3).ToArray(), 3);
    }

    private static IEnumerable<TestCaseData> Devices()
    {
        yield return new TestCaseData((Func<IDevice>)(() => new ReferenceDevice())).SetArgDisplayNames("reference");
        yield return new TestCaseData((Func<IDevice>)(() => new CpuDevice(2))).SetArgDisplayNames("cpu");
        yield return new TestCaseData((Func<IDevice>)(() => new CpuDevice(new CpuDeviceOptions { Threads = 1, Isa = CpuIsa.Vector256 }))).SetArgDisplayNames("cpu:vector256");
    }

    [Test]
    public void TheNormalizationsAfterAConvolutionAreFoldedAndNoOther()
    {
        using var cpu = new CpuDevice(1);
        using var model = ModelBuilder.Build(Spec, cpu, Input, seed: 3);
        var norms = model.Layers.OfType<BatchNorm>().Select(b => b.FoldedIntoPrevious);
        Assert.That(norms, Is.EqualTo(new[] { true, true, false, true }));
        var activations = model.Layers.OfType<ActivationLayer>().Select(a => a.FoldedAfterNorm);
        Assert.That(activations, Is.EqualTo(new[] { true, false, true }));
    }

    [TestCaseSource(nameof(Devices))]
    public void PredictWithFoldedNormalizationsIsTheLayersOneByOne(Func<IDevice> create)
    {
        using var device = create();
        using var model = ModelBuilder.Build(Spec, device, Input, seed: 3);
        model.Compile(new Adam(1e-2f), Loss.CategoricalCrossEntropy);
        var data = Data(24, 1);
        var images = Data(6, 2);
        using var x = Tensor.FromSpan(device, new Shape(6, 2, 10, 10), images.Images[..(6 * Input.Size)]);
        for (int round = 0; round < 3; round++)
        {
            // Training moves the filters, γ, β and the running statistics: the folded copy must follow every change.
            model.Fit(data, epochs: 1, batchSize: 8);
            var oneByOne = model.Forward(x).ToArray();
            var predicted = model.Predict(x);
            Compare.Close(predicted, oneByOne, 1e-4f, 1e-5f, $"after {round + 1} epochs");
            Assert.That(model.Evaluate(data).Loss, Is.EqualTo(UnfoldedLoss(model, data, device)).Within(1e-4), "Evaluate folds as Predict does");
        }
    }

    /// <summary>The mean cross-entropy of the unfolded forward, over the whole data set.</summary>
    private static double UnfoldedLoss(Sequential model, Dataset data, IDevice device)
    {
        using var x = Tensor.FromSpan(device, new Shape(data.Count, 2, 10, 10), data.Images);
        var p = model.Forward(x).ToArray();
        double sum = 0;
        for (int i = 0; i < data.Count; i++) sum -= Math.Log(p[i * 3 + data.Labels[i]]);
        return sum / data.Count;
    }

    /// <summary>The spec trained for <paramref name="epochs"/> on 24 images, so γ, β and the running statistics are not their starting values.</summary>
    private static Sequential Trained(IDevice device, int epochs)
    {
        var model = ModelBuilder.Build(Spec, device, Input, seed: 3);
        model.Compile(new Adam(1e-2f), Loss.CategoricalCrossEntropy);
        model.Fit(Data(24, 1), epochs: epochs, batchSize: 8);
        return model;
    }

    [Test]
    public void ALoadedModelFoldsItsLoadedStatistics()
    {
        using var cpu = new CpuDevice(2);
        using var model = Trained(cpu, epochs: 2);
        using var x = Tensor.FromSpan(cpu, new Shape(6, 2, 10, 10), Data(6, 2).Images[..(6 * Input.Size)]);
        var before = model.Predict(x); // folded once here, with the trained statistics
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        using var loaded = Sequential.Load(stream, cpu);
        Compare.Close(loaded.Predict(x), before, 1e-6f, 1e-6f, "the loaded model");
        // Loading into the same model object's buffers (an upload) refreshes the fold too.
        foreach (var (p, q) in model.Parameters.Zip(loaded.Parameters)) cpu.Copy(q.Value.Buffer, p.Value.Buffer, p.Length);
        Compare.Close(model.Predict(x), before, 1e-6f, 1e-6f, "after copying the same weights in");
    }

    [Test]
    public void ConcurrentPredictsAgree()
    {
        using var cpu = new CpuDevice(2);
        using var model = Trained(cpu, epochs: 1);
        var images = Data(6, 2).Images[..(6 * Input.Size)].ToArray();
        var expected = model.Predict(images);
        var results = new float[8][];
        Parallel.For(0, results.Length, i => results[i] = model.Predict(images));
        foreach (var r in results) Assert.That(r, Is.EqualTo(expected));
    }
}
