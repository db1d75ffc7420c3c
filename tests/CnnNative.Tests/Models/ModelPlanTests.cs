using CnnNative.Devices.Reference;
using CnnNative.Models;
using CnnNative.Tensors;

namespace CnnNative.Tests.Models;

/// <summary>The plan of a spec must name and size exactly what building it creates, and refuse what will not fit.</summary>
public class ModelPlanTests
{
    // Every token kind of the spec grammar, on square and rectangular inputs.
    [TestCase("lenet5", 1, 28, 28)]
    [TestCase("convnet", 1, 28, 28)]
    [TestCase("conv8k3x5s1x2p1x2nobias-tanh-avgpool3s2-flatten-dense10nobias-softmax", 1, 28, 28)]
    [TestCase("conv4k3s2-sigmoid-maxpool2x1s1-dense10-softmax", 3, 17, 23)]
    [TestCase("conv32k5p2-relu-maxpool2-conv64k5p2-relu-maxpool2-flatten-dense1024-relu-dropout0.4-dense10", 1, 28, 28)]
    [TestCase("flatten-dense7-relu-dense3-dense2", 2, 5, 3)]
    [TestCase("conv4k3-bn-relu-conv6k3-bne0.001m0.01-gap-dense8-bn-relu-dense3", 3, 11, 9)]
    public void ThePlanNamesAndSizesWhatBuildingCreates(string spec, int c, int h, int w)
    {
        var input = new Shape(c, h, w);
        var plan = ModelPlan.For(spec, input);
        using var device = new ReferenceDevice();
        using var model = ModelBuilder.Build(spec, device, input);

        Assert.That(plan.IsComplete, Is.True);
        Assert.That(plan.Parameters.Select(p => (p.Name, string.Join(",", p.Shape))),
            Is.EqualTo(model.Parameters.Select(p => (p.Name, string.Join(",", p.Shape.ToArray())))));
        Assert.That(plan.ParameterCount, Is.EqualTo(model.ParameterCount));
        Assert.That(plan.Buffers.Select(p => (p.Name, string.Join(",", p.Shape))),
            Is.EqualTo(model.Buffers.Select(b => (b.Name, string.Join(",", b.Shape.ToArray())))));
        Assert.That(plan.BufferCount, Is.EqualTo(model.BufferCount));
        long activations = input.Size + model.Layers.Sum(l => (long)l.OutputShape.Size);
        Assert.That(plan.ActivationCount, Is.EqualTo(activations));
        Assert.That(plan.Bytes, Is.EqualTo(4 * (2 * model.ParameterCount + model.BufferCount + activations)));
    }

    [TestCase("conv4k50-dense10", 0)]
    [TestCase("conv4k3-maxpool2-conv4k20-dense10", 2)]
    [TestCase("dense10-conv4k3", 2)]
    [TestCase("dense10-gap", 2)]
    [TestCase("conv4k3-bn-dense5-relu-gap", 6)]
    public void APlanStopsAtTheFirstLayerThatDoesNotFit(string spec, int parameters)
    {
        var plan = ModelPlan.For(spec, new Shape(1, 28, 28));
        Assert.That(plan.IsComplete, Is.False);
        Assert.That(plan.Parameters, Has.Count.EqualTo(parameters));
    }

    [Test]
    public void BuildRefusesAModelOverTheBudgetNamingItsSize()
    {
        using var device = new ReferenceDevice();
        var ex = Assert.Throws<ArgumentException>(() => ModelBuilder.Build("convnet", device, new Shape(1, 28, 28), memoryBudget: 16 << 20));
        Assert.That(ex!.Message, Does.Contain("'convnet'").And.Contain("(1, 28, 28)").And.Contain("25.3 MiB")
                                     .And.Contain("3,274,634 parameters").And.Contain("memory budget of 16.0 MiB"));
        using var model = ModelBuilder.Build("convnet", device, new Shape(1, 28, 28), memoryBudget: 32 << 20);
        Assert.That(model.ParameterCount, Is.EqualTo(3_274_634));
    }

    [TestCase("conv8k3p1000000000-dense10", "more memory than 64 bits can count")]
    [TestCase("dense2147483647-dense2", "memory budget")]
    public void SizesThatOverflowAreRefusedNotWrapped(string spec, string expected)
    {
        var plan = ModelPlan.For(spec, new Shape(1, 28, 28));
        var ex = Assert.Throws<ArgumentException>(() => plan.CheckBudget());
        Assert.That(ex!.Message, Does.Contain(expected));
    }

    [Test]
    public void ATensorLargerThanOneBufferIsRefusedEvenWithinTheBudget()
    {
        var plan = ModelPlan.For("flatten-dense3000000", new Shape(1, 28, 28));
        var ex = Assert.Throws<ArgumentException>(() => plan.CheckBudget(long.MaxValue));
        Assert.That(ex!.Message, Does.Contain("linear_1.weight").And.Contain("[3000000,784]"));
    }
}
