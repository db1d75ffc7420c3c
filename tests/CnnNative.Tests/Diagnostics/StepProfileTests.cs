using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Diagnostics;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Diagnostics;

public class StepProfileTests
{
    private static Dataset Images(int count)
    {
        var rng = new Random(3);
        var images = new float[count * 28 * 28];
        for (int i = 0; i < images.Length; i++) images[i] = rng.NextSingle();
        return Dataset.FromArrays(images, new Shape(1, 28, 28), Enumerable.Range(0, count).Select(i => i % 10).ToArray(), 10);
    }

    [Test]
    public void ProfilesEveryLayerBothWaysThenTheLossTheOptimizerAndTheWholeStep()
    {
        using var device = Device.Create("cpu", 1);
        using var model = ModelBuilder.Build("lenet5", device, new Shape(1, 28, 28), seed: 1);
        model.Compile(new Adam(), Loss.CategoricalCrossEntropy);
        var before = model.Layers[0].Parameters[0].Value.ToArray();

        var stages = StepProfile.Measure(model, Images(8), batchSize: 8, steps: 2, seconds: 0);

        // lenet5 has 13 layers; the fused softmax-cross-entropy loss replaces the last (softmax) one.
        var names = model.Layers.Take(12).Select(l => l.Name).ToList();
        Assert.That(stages.Where(s => s.Stage == "forward").Select(s => s.Name), Is.EqualTo(names));
        Assert.That(stages.Where(s => s.Stage == "backward").Select(s => s.Name), Is.EqualTo(names.AsEnumerable().Reverse()));
        Assert.That(stages.Select(s => s.Stage).Distinct(), Is.EqualTo(new[] { "forward", "loss", "backward", "optimizer", "step" }));
        Assert.That(stages.Count(s => s.Stage == "step"), Is.EqualTo(2));
        // A stage that only passes its input on (a fused ReLU) may take less than the timer's tick; every stage that
        // computes takes time.
        Assert.That(stages, Has.All.Matches<StepStage>(s => s.Milliseconds >= 0 && double.IsFinite(s.Milliseconds)));
        Assert.That(stages.Where(s => s.Flops > 0 || s.Stage is "loss" or "optimizer" or "step"), Has.All.Matches<StepStage>(s => s.Milliseconds > 0));

        // FLOPs: conv 2·N·K·C·R·S·P·Q (6 filters 5×5 on one 28×28 channel, padding 2), dense 2·N·in·out; backward
        // does it twice except for the first layer, which computes no input gradient.
        var conv1 = stages.Single(s => s.Stage == "forward" && s.Name == "conv2d_1");
        Assert.That(conv1.Flops, Is.EqualTo(2.0 * 8 * 6 * 1 * 5 * 5 * 28 * 28));
        Assert.That(stages.Single(s => s.Stage == "backward" && s.Name == "conv2d_1").Flops, Is.EqualTo(conv1.Flops));
        var dense = stages.Single(s => s.Stage == "forward" && s.Name == "linear_1");
        Assert.That(dense.Flops, Is.EqualTo(2.0 * 8 * 400 * 120));
        Assert.That(stages.Single(s => s.Stage == "backward" && s.Name == "linear_1").Flops, Is.EqualTo(2 * dense.Flops));
        Assert.That(stages.Single(s => s.Name == "relu_1" && s.Stage == "forward").Gflops, Is.Null);
        Assert.That(conv1.Gflops, Is.EqualTo(conv1.Flops / (conv1.Milliseconds * 1e6)).Within(1e-9));

        // The profiled steps are real training steps.
        Assert.That(model.Layers[0].Parameters[0].Value.ToArray(), Is.Not.EqualTo(before));
    }

    [TestCase(1, 32, "no synchronisation between stages")]
    [TestCase(2, 8, "no synchronisation between stages")]
    [TestCase(2, 32, "as 2 data-parallel shards")]
    public void TheWholeStepIsTheOneFitTakes(int threads, int batch, string how)
    {
        using var device = Device.Create("cpu", threads);
        using var model = ModelBuilder.Build("lenet5", device, new Shape(1, 28, 28), seed: 1);
        model.Compile(new Adam(), Loss.CategoricalCrossEntropy);
        var stages = StepProfile.Measure(model, Images(batch), batchSize: batch, steps: 2, seconds: 0);
        Assert.That(stages.Single(s => s.Name == "whole step (best)").Spec, Is.EqualTo(how));
    }

    [Test]
    public void RefusesAnUncompiledModelAndABatchLargerThanTheData()
    {
        using var device = Device.Create("cpu", 1);
        using var model = ModelBuilder.Build("lenet5", device, new Shape(1, 28, 28), seed: 1);
        var data = Images(4);
        Assert.That(() => StepProfile.Measure(model, data, 4, seconds: 0),
                    Throws.InvalidOperationException.With.Message.Contains("Compile"));
        model.Compile(new Sgd(0.01f), Loss.CategoricalCrossEntropy);
        Assert.That(() => StepProfile.Measure(model, data, 5, seconds: 0),
                    Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("4 images"));
    }
}
