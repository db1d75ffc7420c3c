using CnnNative.Data;

namespace CnnNative.Training;

/// <summary>
/// A tested way to train on Fashion-MNIST: model, optimizer, schedule, epochs, batch size and augmentation, with
/// the test accuracy it is meant to reach (<see cref="AccuracyTarget"/>). `cnn train --recipe NAME` starts from
/// one; any option given beside it wins. Its settings were chosen on a validation split of the training set.
/// </summary>
/// <remarks>A recipe names its model by spec, so one that needs a new layer only needs that layer's spec token.</remarks>
public sealed class Recipe
{
    private readonly Func<float, Optimizer> _optimizer;
    private readonly Func<LearningRateSchedule> _schedule;

    private Recipe(string name, string description, string model, string optimizerName, float learningRate,
                   Func<float, Optimizer> optimizer, Func<LearningRateSchedule> schedule, int epochs, int batchSize,
                   string augmentation, double accuracyTarget)
    {
        (Name, Description, Model, OptimizerName, LearningRate) = (name, description, model, optimizerName, learningRate);
        (_optimizer, _schedule, Epochs, BatchSize, Augmentation, AccuracyTarget) = (optimizer, schedule, epochs, batchSize, augmentation, accuracyTarget);
    }

    /// <summary>
    /// The quickest way found to ≥ 90 % test accuracy: lenet5 (the built-in spec) with Adam at a 5e-3 peak on a
    /// one-cycle schedule, batch 64, 4 epochs. Chosen on a 10 % validation split among some forty runs of about
    /// twenty candidates (smaller and wider convnets, strided convolutions, batches 64 to 256, SGD and Adam, 2 to 4
    /// epochs): wider networks learned more per epoch but cost more than they gained, smaller ones cost no less per
    /// image on the cpu device, and 3 epochs stopped at about 90.4 % validation accuracy, short of a safe margin.
    /// The README has its measured times.
    /// </summary>
    public static Recipe Fast { get; } = new(
        "fast", "lenet5, batch 64, Adam on a one-cycle schedule peaking at 5e-3, 4 epochs",
        model: "lenet5", optimizerName: "adam", learningRate: 5e-3f, optimizer: lr => new Adam(lr),
        schedule: () => LearningRateSchedule.OneCycle(), epochs: 4, batchSize: 64,
        augmentation: "none", accuracyTarget: 0.90);

    /// <summary>Every recipe by name.</summary>
    public static IReadOnlyDictionary<string, Recipe> All { get; } = new Dictionary<string, Recipe> { [Fast.Name] = Fast };

    /// <summary>The name `cnn train --recipe` takes ("fast").</summary>
    public string Name { get; }
    /// <summary>One line on what the recipe trains and how.</summary>
    public string Description { get; }

    /// <summary>The model's spec (see <see cref="Models.ModelSpec"/>).</summary>
    public string Model { get; }

    /// <summary>"adam" or "sgd".</summary>
    public string OptimizerName { get; }

    /// <summary>The base (peak) learning rate.</summary>
    public float LearningRate { get; }
    /// <summary>Epochs to train.</summary>
    public int Epochs { get; }
    /// <summary>Images per step.</summary>
    public int BatchSize { get; }

    /// <summary>The augmentation as <see cref="Data.Augmentation.Parse"/> reads it ("none", "crop,flip").</summary>
    public string Augmentation { get; }

    /// <summary>The test accuracy the recipe is meant to reach; `cnn train` reports the training time it took.</summary>
    public double AccuracyTarget { get; }

    /// <summary>A new optimizer of the recipe's kind at <paramref name="learningRate"/> (the recipe's rate by default).</summary>
    public Optimizer CreateOptimizer(float? learningRate = null) => _optimizer(learningRate ?? LearningRate);

    /// <summary>A new schedule of the recipe's kind.</summary>
    public LearningRateSchedule CreateSchedule() => _schedule();

    /// <summary>The recipe's augmentation, or null for none.</summary>
    public Augmentation? CreateAugmentation() => Data.Augmentation.Parse(Augmentation);

    /// <summary>The recipe called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No recipe has that name.</exception>
    public static Recipe FromName(string name)
        => All.TryGetValue(name.ToLowerInvariant(), out var recipe) ? recipe
           : throw new ArgumentException($"Unknown recipe '{name}'. Known: {string.Join(", ", All.Keys)}.", nameof(name));

    /// <summary>The recipe's name.</summary>
    public override string ToString() => Name;
}
