using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

/// <summary>
/// Every recipe resolves to a model that builds for Fashion-MNIST's 28×28 images, an optimizer, a schedule and an
/// augmentation that Fit accepts, and one short Fit on tiny data learns with them.
/// </summary>
public class RecipeTests
{
    public static IEnumerable<string> Names => Recipe.All.Keys;

    [Test]
    public void BothRecipesAreKnownByName()
    {
        Assert.That(Recipe.All.Keys, Is.EquivalentTo(new[] { "fast", "best" }));
        Assert.That(Recipe.FromName("BEST"), Is.SameAs(Recipe.Best));
        Assert.That(() => Recipe.FromName("fastest"), Throws.ArgumentException.With.Message.Contains("Known: fast, best"));
    }

    [TestCaseSource(nameof(Names))]
    public void ARecipeResolvesToAModelOptimizerScheduleAndAugmentationThatTrain(string name)
    {
        var recipe = Recipe.FromName(name);
        Assert.That(recipe.Epochs, Is.Positive);
        Assert.That(recipe.BatchSize, Is.Positive);
        Assert.That(recipe.AccuracyTarget, Is.InRange(0.5, 1.0));
        using var optimizer = recipe.CreateOptimizer();
        Assert.That(optimizer.LearningRate, Is.EqualTo(recipe.LearningRate));
        Assert.That(optimizer.Spec, Does.StartWith(recipe.OptimizerName + "("));
        using (var other = recipe.CreateOptimizer(0.125f)) Assert.That(other.LearningRate, Is.EqualTo(0.125f));
        var schedule = recipe.CreateSchedule();
        Assert.That(schedule.At(0, 100, recipe.LearningRate, stepsPerEpoch: 10), Is.Positive.And.LessThanOrEqualTo(recipe.LearningRate));

        // Two batches of 28×28 images of three classes: enough to run every layer forward and backward, and to see
        // the loss fall on data this easy.
        using var device = Device.Create("cpu", threads: 2);
        using var model = ModelBuilder.Build(recipe.Model, device, new Shape(1, 28, 28), seed: 1);
        Assert.That(model.OutputShape, Is.EqualTo(new Shape(10)), "ten Fashion-MNIST classes");
        model.Compile(recipe.CreateOptimizer(), Loss.CategoricalCrossEntropy, Metric.Accuracy);
        var data = Tiny(2 * recipe.BatchSize);
        var history = model.Fit(data, recipe.BatchSize, epochs: 3, schedule: recipe.CreateSchedule(),
                                augmentation: recipe.CreateAugmentation());

        Assert.That(history.Epochs.Select(e => e.TrainLoss), Has.All.Matches<double>(double.IsFinite));
        Assert.That(history.Last.TrainLoss, Is.LessThan(history.Epochs[0].TrainLoss), "the recipe learns");
    }

    [Test]
    public void TheBestRecipeAugmentsWithCropAndFlip()
    {
        Assert.That(Recipe.Best.CreateAugmentation()?.Spec, Does.Contain("crop").And.Contain("flip"));
        Assert.That(Recipe.Fast.CreateAugmentation(), Is.Null, "augmentation slows the first epochs the fast recipe has");
    }

    /// <summary>28×28 images of ten classes (only three used) whose class is the third of the rows that is bright.</summary>
    private static Dataset Tiny(int count)
    {
        const int side = 28;
        var rng = new Random(4);
        var images = new float[count * side * side];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = rng.Next(3);
            for (int p = 0; p < side * side; p++)
                images[i * side * side + p] = (p / side * 3 / side == labels[i] ? 0.8f : 0.1f) + 0.2f * rng.NextSingle();
        }
        return Dataset.FromArrays(images, new Shape(1, side, side), labels, classCount: 10);
    }
}
