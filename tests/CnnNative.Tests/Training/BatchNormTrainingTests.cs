using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

/// <summary>
/// Models with BatchNorm and global average pooling trained by Fit on every device: Fit uses the batches' statistics,
/// Evaluate and Predict the running ones, and a batch of one value per channel does not stop training.
/// </summary>
public class BatchNormTrainingTests
{
    private const string Spec = "conv6k3p1-bn-relu-maxpool2-conv8k3p1-bn-relu-gap-dense8-bn-relu-dense3";

    public static IEnumerable<string> Devices => Layers.LayerGradientTests.Devices;

    [TestCaseSource(nameof(Devices))]
    public void FitTrainsWithBatchStatisticsAndEvaluatesWithTheRunningOnes(string deviceName)
    {
        using var device = Device.Create(deviceName, threads: 2);
        using var model = ModelBuilder.Build(Spec, device, new Shape(1, 8, 8), seed: 3);
        model.Compile(new Adam(lr: 0.02f), Loss.CategoricalCrossEntropy, Metric.Accuracy);
        var train = SyntheticData.Bars(300, seed: 1);
        var test = SyntheticData.Bars(100, seed: 2);

        var history = model.Fit(train, batchSize: 32, epochs: 4, validation: test);

        Assert.That(history.Epochs[^1].TrainLoss, Is.LessThan(history.Epochs[0].TrainLoss));
        Assert.That(history.Last.ValidationAccuracy, Is.GreaterThan(0.95));
        foreach (var bn in model.Layers.OfType<BatchNorm>())
        {
            Assert.That(bn.RunningMean.Value.ToArray(), Has.Some.Not.EqualTo(0f), $"{bn.Name}: running mean moved");
            Assert.That(bn.RunningVar.Value.ToArray(), Has.Some.Not.EqualTo(1f), $"{bn.Name}: running variance moved");
        }
        // The running statistics make a sample's output independent of its batch: batches of 1 score as batches of 256.
        var evaluation = model.Evaluate(test);
        Assert.That(evaluation.Accuracy, Is.EqualTo(history.Last.ValidationAccuracy));
        Assert.That(model.Evaluate(test, batchSize: 1).Accuracy, Is.EqualTo(evaluation.Accuracy));
        Assert.That(model.Evaluate(test, batchSize: 1).Loss, Is.EqualTo(evaluation.Loss).Within(1e-5));
    }

    [TestCaseSource(nameof(Devices))]
    public void ALastBatchOfOneTrainsOnLikeTheOthers(string deviceName)
    {
        using var device = Device.Create(deviceName, threads: 2);
        using var model = ModelBuilder.Build("flatten-dense6-bn-relu-dense3", device, new Shape(1, 8, 8), seed: 5);
        model.Compile(new Sgd(lr: 0.05f, momentum: 0.9f), Loss.CategoricalCrossEntropy, Metric.Accuracy);

        var history = model.Fit(SyntheticData.Bars(65, seed: 6), batchSize: 16, epochs: 3);   // batches of 16, 16, 16, 16, 1

        Assert.That(history.Epochs.Select(e => e.TrainLoss), Is.All.Not.NaN);
        var bn = model.Layers.OfType<BatchNorm>().Single();
        Assert.That(bn.RunningVar.Value.ToArray(), Is.All.GreaterThanOrEqualTo(0f).And.All.Not.NaN);
        Assert.That(model.Parameters.SelectMany(p => p.Value.ToArray()), Is.All.Not.NaN);
    }
}
