using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

public class SequentialTests
{
    private const string SmallNet = "conv4k3p1-relu-maxpool2-flatten-dense8-relu-dropout0.2-dense3";

    public static IEnumerable<string> Devices => Layers.LayerGradientTests.Devices;

    private static Sequential Build(IDevice device, int seed = 5)
    {
        var model = ModelBuilder.Build(SmallNet, device, new Shape(1, 8, 8), seed);
        model.Compile(new Adam(lr: 0.01f), Loss.CategoricalCrossEntropy, Metric.Accuracy);
        return model;
    }

    private static float[][] Weights(Sequential m) => m.Parameters.Select(p => p.Value.ToArray()).ToArray();

    [TestCaseSource(nameof(Devices))]
    public void FitLearnsASimpleTaskAndReportsHistory(string deviceName)
    {
        using var device = Device.Create(deviceName, threads: 2);
        using var model = Build(device);
        var train = SyntheticData.Bars(300, seed: 1);
        var test = SyntheticData.Bars(100, seed: 2);
        var history = model.Fit(train, batchSize: 32, epochs: 3, validation: test);
        Assert.That(history.Epochs, Has.Count.EqualTo(3));
        Assert.That(history.Epochs[2].TrainLoss, Is.LessThan(history.Epochs[0].TrainLoss));
        Assert.That(history.Last.ValidationAccuracy, Is.GreaterThan(0.95));
        Assert.That(history.Last.ImagesPerSecond, Is.GreaterThan(0));
        Assert.That(model.Evaluate(test).Accuracy, Is.EqualTo(history.Last.ValidationAccuracy));
    }

    [TestCaseSource(nameof(Devices))]
    public void TheExplicitLoopGivesTheSameWeightsAsFit(string deviceName)
    {
        using var device = Device.Create(deviceName, threads: 1);
        var data = SyntheticData.Bars(70, seed: 3);
        using var a = Build(device);
        a.Fit(data, batchSize: 16, epochs: 1, shuffle: false);

        using var b = Build(device);
        var loader = new DataLoader(data, 16, shuffle: false);
        using var x = Tensor.Zeros(device, new Shape(16, 1, 8, 8));
        using var y = Tensor.Zeros(device, new Shape(16, 3));
        foreach (var batch in loader.Epoch(0))
        {
            var xs = x.Reshape(batch.Shape);
            var ys = y.Reshape(new Shape(batch.Count, 3));
            device.Upload(batch.Images, xs.Buffer);
            device.Upload(batch.OneHotTargets, ys.Buffer);
            var logits = b.ForwardLogits(xs, training: true);
            b.ComputeLoss(logits, ys);
            b.Optimizer!.ZeroGrad();
            b.Backward();
            b.Optimizer.Step();
        }
        Assert.That(Weights(b), Is.EqualTo(Weights(a)));
    }

    [TestCaseSource(nameof(Devices))]
    public void TwoSeededSingleThreadRunsGiveIdenticalWeights(string deviceName)
    {
        var data = SyntheticData.Bars(100, seed: 4);
        float[][] Train()
        {
            using var device = Device.Create(deviceName, threads: 1);
            using var model = Build(device, seed: 9);
            model.Fit(data, batchSize: 16, epochs: 2);
            return Weights(model);
        }
        Assert.That(Train(), Is.EqualTo(Train()));
    }

    [Test]
    public void ALossThatBecomesNaNStopsTrainingNamingEpochAndBatch()
    {
        using var device = Device.Create("reference");
        using var model = ModelBuilder.Build(SmallNet, device, new Shape(1, 8, 8));
        model.Compile(new Sgd(lr: 1e30f), Loss.CategoricalCrossEntropy);
        var ex = Assert.Throws<TrainingDivergedException>(() => model.Fit(SyntheticData.Bars(64), batchSize: 8, epochs: 2));
        Assert.That(ex!.Message, Does.Match(@"epoch \d+, batch \d+ of 8"));
        Assert.That(model.Parameters.All(p => p.Value.ToArray().All(float.IsFinite)), Is.True, "the diverging batch did not update the weights");
    }

    [Test]
    public void DataOfTheWrongShapeOrClassCountIsRejected()
    {
        using var device = Device.Create("reference");
        using var model = Build(device);
        var ex = Assert.Throws<ArgumentException>(() => model.Fit(SyntheticData.Bars(10, size: 9)));
        Assert.That(ex!.Message, Does.Contain("(1, 8, 8)").And.Contain("(1, 9, 9)"));
        Assert.Throws<ArgumentException>(() => model.Fit(SyntheticData.Bars(10, classes: 4)));
    }

    [Test]
    public void PredictRejectsNaNAndPartialSamples()
    {
        using var device = Device.Create("reference");
        using var model = Build(device);
        var x = new float[64];
        x[10] = float.NaN;
        Assert.That(Assert.Throws<ArgumentException>(() => model.Predict(x))!.Message, Does.Contain("NaN"));
        Assert.Throws<ArgumentException>(() => model.Predict(new float[65]));
    }

    [Test]
    public void PredictReturnsProbabilities()
    {
        using var device = Device.Create("reference");
        using var model = Build(device);
        var p = model.Predict(SyntheticData.Bars(5).Images);
        Assert.That(p, Has.Length.EqualTo(15));
        for (int i = 0; i < 5; i++) Assert.That(p.Skip(i * 3).Take(3).Sum(), Is.EqualTo(1f).Within(1e-5f));
    }
}
