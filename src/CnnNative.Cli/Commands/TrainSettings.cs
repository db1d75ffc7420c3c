using System.CommandLine;
using CnnNative.Cli.Options;
using CnnNative.Cli.Output;
using CnnNative.Data;
using CnnNative.Training;
using O = CnnNative.Cli.Commands.TrainOptions;

namespace CnnNative.Cli.Commands;

/// <summary>
/// Everything `cnn train` was asked for, read and checked before anything slow happens: a recipe's choices, then
/// the options given beside it (which win), the schedule, the augmentation, the callbacks and the checkpointing.
/// </summary>
internal sealed record TrainSettings(
    string DataDir, string ModelName, Recipe? Recipe, int Epochs, int Batch, string OptimizerName, float LearningRate,
    LearningRateSchedule Schedule, Augmentation? Augmentation, double ValidationSplit, double? AccuracyTarget,
    string DeviceName, int Seed, int Threads, string OutPath, string? MetricsPath, int Limit,
    TimeSpan CheckpointEvery, int CheckpointEveryBatches, bool Resume, bool KeepCheckpoint)
{
    /// <summary>The training checkpoint beside the model: --out FILE checkpoints to FILE.ckpt.</summary>
    public string CheckpointPath => TrainingCheckpoint.PathFor(OutPath);

    /// <summary>The quantities the callbacks may watch (Keras' names).</summary>
    public static readonly string[] Monitors = ["val_loss", "val_accuracy", "loss", "accuracy"];

    /// <summary>Reads and checks the options of <paramref name="a"/>, a parse of `cnn train`.</summary>
    public static TrainSettings Read(ParseResult a)
    {
        Recipe? recipe = null;
        if (a.GetValue(O.Recipe) is { } recipeName)
        {
            try { recipe = Recipe.FromName(recipeName); }
            catch (ArgumentException e) { throw new UsageException($"invalid value '{recipeName}' for --recipe: {e.Message}", e); }
        }
        int epochs = a.GetValue(O.Epochs) ?? recipe?.Epochs ?? 5;
        string optimizerName = a.GetValue(O.Optimizer) ?? recipe?.OptimizerName ?? "adam";
        float defaultRate = recipe is not null && recipe.OptimizerName == optimizerName ? recipe.LearningRate
                          : optimizerName == "adam" ? 1e-3f : 0.01f;
        // A double straight from the text: the float nearest 0.1 would show up as 0.10000000149 in the metrics.
        double validationSplit = a.GetValue(O.ValidationSplit) ?? 0;
        if (validationSplit >= 1) throw new UsageException($"invalid value '{Given(a, O.ValidationSplit)}' for --validation-split: expected a fraction below 1, such as 0.1");

        Augmentation? augmentation;
        if (a.GetValue(O.Augment) is { } augment)
        {
            try { augmentation = Augmentation.Parse(augment); }
            catch (FormatException e) { throw new UsageException($"invalid value for --augment: {e.Message}", e); }
        }
        else augmentation = recipe?.CreateAugmentation();

        double minutes = a.GetValue(O.CheckpointEvery) ?? 5;
        return new TrainSettings(
            DataDir: a.GetValue(O.Data) ?? FashionMnist.DefaultFolder,
            ModelName: a.GetValue(O.Model) ?? recipe?.Model ?? "convnet",
            Recipe: recipe,
            Epochs: epochs,
            Batch: a.GetValue(O.Batch) ?? recipe?.BatchSize ?? 64,
            OptimizerName: optimizerName,
            LearningRate: a.GetValue(O.LearningRate) ?? defaultRate,
            Schedule: ReadSchedule(a, recipe, epochs),
            Augmentation: augmentation,
            ValidationSplit: validationSplit,
            AccuracyTarget: ReadTarget(a, recipe),
            DeviceName: a.GetValue(O.Device) ?? "cpu",
            Seed: a.GetValue(O.Seed) ?? 1,
            Threads: a.GetValue(O.Threads) ?? 0,
            OutPath: a.GetValue(O.Out) ?? "model.safetensors",
            MetricsPath: a.GetValue(O.MetricsOut),
            Limit: a.GetValue(O.Limit) ?? int.MaxValue,
            CheckpointEvery: TimeSpan.FromMinutes(minutes),
            CheckpointEveryBatches: a.GetValue(O.CheckpointEveryBatches) ?? 0,
            Resume: a.GetValue(O.Resume),
            KeepCheckpoint: a.GetValue(O.KeepCheckpoint));
    }

    /// <summary>A new optimizer as asked: the recipe's kind when it is the recipe's optimizer, else Adam or SGD with momentum 0.9.</summary>
    public Optimizer CreateOptimizer()
        => Recipe is not null && Recipe.OptimizerName == OptimizerName ? Recipe.CreateOptimizer(LearningRate)
           : OptimizerName == "adam" ? new Adam(LearningRate) : new Sgd(LearningRate, momentum: 0.9f);

    /// <summary>The callbacks the options ask for, in the order Fit calls them.</summary>
    public static List<ICallback> ReadCallbacks(ParseResult a, bool hasValidationSplit)
    {
        RequireWith(a, O.RestoreBestWeights, O.EarlyStopping);
        RequireWith(a, O.ReduceLrFactor, O.ReduceLrOnPlateau);
        RequireWith(a, O.SaveBestOnly, O.ModelCheckpoint);
        string monitor = a.GetValue(O.Monitor) ?? "val_loss";
        bool watching = Has(a, O.EarlyStopping) || Has(a, O.ReduceLrOnPlateau) || a.GetValue(O.SaveBestOnly);
        if (!watching && Has(a, O.Monitor))
            throw new UsageException("--monitor is for --early-stopping, --reduce-lr-on-plateau and --save-best-only; none of them is given");
        if (watching && monitor.StartsWith("val_", StringComparison.Ordinal) && !hasValidationSplit)
            throw new UsageException($"the callbacks monitor {monitor}, which needs --validation-split (choices are never made on the test set), or --monitor loss");
        if (Has(a, O.MinDelta) && !Has(a, O.EarlyStopping) && !Has(a, O.ReduceLrOnPlateau))
            throw new UsageException("--min-delta is for --early-stopping and --reduce-lr-on-plateau; neither is given");
        float? minDelta = a.GetValue(O.MinDelta);
        if (minDelta < 0) throw new UsageException($"invalid value '{Given(a, O.MinDelta)}' for --min-delta: expected 0 or more");

        var callbacks = new List<ICallback>();
        if (a.GetValue(O.EarlyStopping) is { } patience)
            callbacks.Add(new EarlyStopping(monitor, patience, minDelta ?? 0, a.GetValue(O.RestoreBestWeights)));
        if (a.GetValue(O.ReduceLrOnPlateau) is { } plateau)
        {
            float factor = a.GetValue(O.ReduceLrFactor) ?? 0.1f;
            if (factor >= 1) throw new UsageException($"invalid value '{Given(a, O.ReduceLrFactor)}' for --reduce-lr-factor: expected a factor below 1, such as 0.1");
            callbacks.Add(new ReduceLROnPlateau(monitor, factor, plateau, minDelta ?? 1e-4));
        }
        if (a.GetValue(O.ModelCheckpoint) is { } pattern)
        {
            try { callbacks.Add(new ModelCheckpoint(pattern, monitor, a.GetValue(O.SaveBestOnly))); }
            catch (ArgumentException e) { throw new UsageException($"invalid value for --model-checkpoint: {e.Message}", e); }
        }
        if (a.GetValue(O.CsvLog) is { } csv) callbacks.Add(new CsvLogger(csv));
        if (a.GetValue(O.JsonLog) is { } json) callbacks.Add(new JsonLogger(json));
        return callbacks;
    }

    private static LearningRateSchedule ReadSchedule(ParseResult a, Recipe? recipe, int epochs)
    {
        if (!Has(a, O.Schedule) && recipe is not null)
        {
            foreach (var option in new Option[] { O.StepEvery, O.StepGamma, O.WarmupEpochs })
                if (Has(a, option)) throw new UsageException($"{option.Name} needs --schedule beside --recipe {recipe.Name}");
            return recipe.CreateSchedule();
        }
        string name = a.GetValue(O.Schedule) ?? "cosine";
        RequireSchedule(a, name, O.StepEvery, "step");
        RequireSchedule(a, name, O.StepGamma, "step");
        if (Has(a, O.WarmupEpochs) && name is not ("onecycle" or "warmup-cosine"))
            throw new UsageException($"--warmup-epochs is for --schedule onecycle or warmup-cosine, not {name}");
        switch (name)
        {
            case "step":
                if (a.GetValue(O.StepEvery) is not { } every) throw new UsageException("--schedule step needs --step-every EPOCHS");
                float gamma = a.GetValue(O.StepGamma) ?? 0.1f;
                if (gamma > 1) throw new UsageException($"invalid value '{Given(a, O.StepGamma)}' for --step-gamma: expected a factor up to 1");
                return LearningRateSchedule.Step(every, gamma);
            case "onecycle":
                if (a.GetValue(O.WarmupEpochs) is not { } warmup) return LearningRateSchedule.OneCycle();
                if (warmup >= epochs)
                    throw new UsageException($"--warmup-epochs {Given(a, O.WarmupEpochs)} leaves nothing of the {Counts.Of(epochs, "epoch")} for the one cycle's descent");
                return LearningRateSchedule.OneCycle(warmupFraction: warmup / epochs);
            case "warmup-cosine":
                return LearningRateSchedule.WarmupCosine(a.GetValue(O.WarmupEpochs) ?? 1);
            default:
                return LearningRateSchedule.FromName(name);
        }
    }

    private static double? ReadTarget(ParseResult a, Recipe? recipe)
    {
        if (a.GetValue(O.TargetAccuracy) is not { } target) return recipe?.AccuracyTarget;
        return target <= 1 ? target
            : throw new UsageException($"invalid value '{Given(a, O.TargetAccuracy)}' for --target-accuracy: expected a fraction up to 1, such as 0.9");
    }

    private static void RequireSchedule(ParseResult a, string schedule, Option option, string needed)
    {
        if (Has(a, option) && schedule != needed) throw new UsageException($"{option.Name} is for --schedule {needed}, not {schedule}");
    }

    private static void RequireWith(ParseResult a, Option option, Option needed)
    {
        if (Has(a, option) && !Has(a, needed)) throw new UsageException($"{option.Name} needs {needed.Name}");
    }

    /// <summary>Whether <paramref name="option"/> is on the command line.</summary>
    private static bool Has(ParseResult a, Option option) => a.GetResult(option) is { Implicit: false };

    /// <summary>The value of <paramref name="option"/> as typed, for messages.</summary>
    private static string Given(ParseResult a, Option option) => a.GetResult(option)?.Tokens.LastOrDefault()?.Value ?? "";
}
