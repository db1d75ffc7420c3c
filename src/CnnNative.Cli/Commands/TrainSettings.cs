using System.Globalization;
using CnnNative.Cli.Options;
using CnnNative.Data;
using CnnNative.Training;

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

    public static TrainSettings Read(ParsedArgs a)
    {
        Recipe? recipe = null;
        if (a.String("recipe") is { } recipeName)
        {
            try { recipe = Recipe.FromName(recipeName); }
            catch (ArgumentException e) { throw new UsageException($"invalid value '{recipeName}' for --recipe: {e.Message}", e); }
        }
        int epochs = a.Int("epochs", recipe?.Epochs ?? 5, min: 1);
        string optimizerName = a.Choice("optimizer", recipe?.OptimizerName ?? "adam", "adam", "sgd");
        float defaultRate = recipe is not null && recipe.OptimizerName == optimizerName ? recipe.LearningRate
                          : optimizerName == "adam" ? 1e-3f : 0.01f;
        // Read as a double: the float nearest 0.1 would show up as 0.10000000149 in the metrics.
        double validationSplit = a.Has("validation-split") && a.Float("validation-split", 0, above: 0) > 0
            ? double.Parse(a.Require("validation-split"), NumberStyles.Float, CultureInfo.InvariantCulture) : 0;
        if (validationSplit >= 1) throw new UsageException($"invalid value '{a.String("validation-split")}' for --validation-split: expected a fraction below 1, such as 0.1");

        Augmentation? augmentation;
        if (a.String("augment") is { } augment)
        {
            try { augmentation = Augmentation.Parse(augment); }
            catch (FormatException e) { throw new UsageException($"invalid value for --augment: {e.Message}", e); }
        }
        else augmentation = recipe?.CreateAugmentation();

        double minutes = a.Float("checkpoint-every", 5, above: 0);
        return new TrainSettings(
            DataDir: a.String("data", FashionMnist.DefaultFolder),
            ModelName: a.String("model", recipe?.Model ?? "convnet"),
            Recipe: recipe,
            Epochs: epochs,
            Batch: a.Int("batch", recipe?.BatchSize ?? 64, min: 1),
            OptimizerName: optimizerName,
            LearningRate: a.Float("lr", defaultRate, above: 0),
            Schedule: ReadSchedule(a, recipe, epochs),
            Augmentation: augmentation,
            ValidationSplit: validationSplit,
            AccuracyTarget: ReadTarget(a, recipe),
            DeviceName: a.String("device", "cpu"),
            Seed: a.Int("seed", 1),
            Threads: a.Int("threads", 0, min: 0),
            OutPath: a.String("out", "model.safetensors"),
            MetricsPath: a.String("metrics-out"),
            Limit: a.Int("limit", int.MaxValue, min: 1),
            CheckpointEvery: TimeSpan.FromMinutes(minutes),
            CheckpointEveryBatches: a.Int("checkpoint-every-batches", 0, min: 1),
            Resume: a.Flag("resume"),
            KeepCheckpoint: a.Flag("keep-checkpoint"));
    }

    /// <summary>A new optimizer as asked: the recipe's kind when it is the recipe's optimizer, else Adam or SGD with momentum 0.9.</summary>
    public Optimizer CreateOptimizer()
        => Recipe is not null && Recipe.OptimizerName == OptimizerName ? Recipe.CreateOptimizer(LearningRate)
           : OptimizerName == "adam" ? new Adam(LearningRate) : new Sgd(LearningRate, momentum: 0.9f);

    /// <summary>The callbacks the options ask for, in the order Fit calls them.</summary>
    public static List<ICallback> ReadCallbacks(ParsedArgs a, bool hasValidationSplit)
    {
        RequireWith(a, "restore-best-weights", "early-stopping");
        RequireWith(a, "reduce-lr-factor", "reduce-lr-on-plateau");
        RequireWith(a, "save-best-only", "model-checkpoint");
        string monitor = a.Choice("monitor", "val_loss", Monitors);
        bool watching = a.Has("early-stopping") || a.Has("reduce-lr-on-plateau") || a.Flag("save-best-only");
        if (!watching && a.Has("monitor"))
            throw new UsageException("--monitor is for --early-stopping, --reduce-lr-on-plateau and --save-best-only; none of them is given");
        if (watching && monitor.StartsWith("val_", StringComparison.Ordinal) && !hasValidationSplit)
            throw new UsageException($"the callbacks monitor {monitor}, which needs --validation-split (choices are never made on the test set), or --monitor loss");
        if (a.Has("min-delta") && !a.Has("early-stopping") && !a.Has("reduce-lr-on-plateau"))
            throw new UsageException("--min-delta is for --early-stopping and --reduce-lr-on-plateau; neither is given");
        float? minDelta = a.Has("min-delta") ? a.Float("min-delta", 0) : null;
        if (minDelta < 0) throw new UsageException($"invalid value '{a.String("min-delta")}' for --min-delta: expected 0 or more");

        var callbacks = new List<ICallback>();
        if (a.Has("early-stopping"))
            callbacks.Add(new EarlyStopping(monitor, a.Int("early-stopping", 0, min: 0), minDelta ?? 0, a.Flag("restore-best-weights")));
        if (a.Has("reduce-lr-on-plateau"))
        {
            float factor = a.Float("reduce-lr-factor", 0.1f, above: 0);
            if (factor >= 1) throw new UsageException($"invalid value '{a.String("reduce-lr-factor")}' for --reduce-lr-factor: expected a factor below 1, such as 0.1");
            callbacks.Add(new ReduceLROnPlateau(monitor, factor, a.Int("reduce-lr-on-plateau", 0, min: 0), minDelta ?? 1e-4));
        }
        if (a.String("model-checkpoint") is { } pattern)
        {
            try { callbacks.Add(new ModelCheckpoint(pattern, monitor, a.Flag("save-best-only"))); }
            catch (ArgumentException e) { throw new UsageException($"invalid value for --model-checkpoint: {e.Message}", e); }
        }
        if (a.String("csv-log") is { } csv) callbacks.Add(new CsvLogger(csv));
        if (a.String("json-log") is { } json) callbacks.Add(new JsonLogger(json));
        return callbacks;
    }

    private static LearningRateSchedule ReadSchedule(ParsedArgs a, Recipe? recipe, int epochs)
    {
        if (!a.Has("schedule") && recipe is not null)
        {
            foreach (var option in new[] { "step-every", "step-gamma", "warmup-epochs" })
                if (a.Has(option)) throw new UsageException($"--{option} needs --schedule beside --recipe {recipe.Name}");
            return recipe.CreateSchedule();
        }
        string name = a.Choice("schedule", "cosine", [.. LearningRateSchedule.Names]);
        RequireSchedule(a, name, "step-every", "step");
        RequireSchedule(a, name, "step-gamma", "step");
        if (a.Has("warmup-epochs") && name is not ("onecycle" or "warmup-cosine"))
            throw new UsageException($"--warmup-epochs is for --schedule onecycle or warmup-cosine, not {name}");
        switch (name)
        {
            case "step":
                if (!a.Has("step-every")) throw new UsageException("--schedule step needs --step-every EPOCHS");
                float gamma = a.Float("step-gamma", 0.1f, above: 0);
                if (gamma > 1) throw new UsageException($"invalid value '{a.String("step-gamma")}' for --step-gamma: expected a factor up to 1");
                return LearningRateSchedule.Step(a.Int("step-every", 1, min: 1), gamma);
            case "onecycle":
                if (!a.Has("warmup-epochs")) return LearningRateSchedule.OneCycle();
                float warmup = a.Float("warmup-epochs", 0, above: 0);
                if (warmup >= epochs) throw new UsageException($"--warmup-epochs {a.String("warmup-epochs")} leaves nothing of the {epochs} epochs for the one cycle's descent");
                return LearningRateSchedule.OneCycle(warmupFraction: warmup / epochs);
            case "warmup-cosine":
                return LearningRateSchedule.WarmupCosine(a.Float("warmup-epochs", 1, above: 0));
            default:
                return LearningRateSchedule.FromName(name);
        }
    }

    private static double? ReadTarget(ParsedArgs a, Recipe? recipe)
    {
        if (!a.Has("target-accuracy")) return recipe?.AccuracyTarget;
        float target = a.Float("target-accuracy", 0, above: 0);
        return target <= 1 ? target
            : throw new UsageException($"invalid value '{a.String("target-accuracy")}' for --target-accuracy: expected a fraction up to 1, such as 0.9");
    }

    private static void RequireSchedule(ParsedArgs a, string schedule, string option, string needed)
    {
        if (a.Has(option) && schedule != needed) throw new UsageException($"--{option} is for --schedule {needed}, not {schedule}");
    }

    private static void RequireWith(ParsedArgs a, string option, string needed)
    {
        if (a.Has(option) && !a.Has(needed)) throw new UsageException($"--{option} needs --{needed}");
    }
}
