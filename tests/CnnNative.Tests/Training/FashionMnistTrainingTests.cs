using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

/// <summary>
/// A short real training run: part of Fashion-MNIST (installed by `build.ps1 setup` from Debian's
/// dataset-fashion-mnist), a small CNN, a few seconds on two cores. The loss must fall and held-out
/// accuracy pass 80 %.
/// </summary>
public class FashionMnistTrainingTests
{
    [TestCase("cpu")]
    public void ASmallCnnLearnsFashionMnist(string deviceName)
    {
        var train = FashionMnist.Load(train: true).Take(12_000);
        var test = FashionMnist.Load(train: false).Take(2_000);
        using var device = Device.Create(deviceName, threads: 2);
        using var model = ModelBuilder.Build("conv8k5p2-relu-maxpool2-conv16k5-relu-maxpool2-flatten-dense10", device, train.InputShape, seed: 1);
        model.Compile(new Adam(lr: 2e-3f), Loss.CategoricalCrossEntropy, Metric.Accuracy);

        var history = model.Fit(train, batchSize: 32, epochs: 2, validation: test);

        TestContext.Out.WriteLine(string.Join("\n", history.Epochs));
        Assert.That(history.Epochs[1].TrainLoss, Is.LessThan(history.Epochs[0].TrainLoss), "loss falls");
        Assert.That(history.Last.ValidationAccuracy, Is.GreaterThan(0.80), "held-out accuracy");
    }
}
