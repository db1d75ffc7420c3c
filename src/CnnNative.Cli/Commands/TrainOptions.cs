using System.CommandLine;
using CnnNative.Cli.Options;
using CnnNative.Data;
using CnnNative.Training;

namespace CnnNative.Cli.Commands;

/// <summary>The options of `cnn train`, read by <see cref="TrainSettings"/>; every one keeps the name and meaning it has always had.</summary>
internal static class TrainOptions
{
    public static readonly Option<string> Data = CliOptions.Text("--data", "DIR", $"folder with train-/t10k- images and labels (default {FashionMnist.DefaultFolder})");
    public static readonly Option<string> Model = CliOptions.Text("--model", "NAME|SPEC", "lenet5, convnet (default) or a spec such as conv8k5-relu-maxpool2-dense10");
    public static readonly Option<string> Recipe = CliOptions.Text("--recipe", "NAME",
        $"start from a tested recipe ({string.Join(", ", Training.Recipe.All.Keys)}): model, optimizer, schedule, epochs, batch and augmentation, and report the time to its accuracy target; options given beside it win");
    public static readonly Option<int?> Epochs = CliOptions.Int("--epochs", "N", "passes over the training data (default 5)", min: 1);
    public static readonly Option<int?> Batch = CliOptions.Int("--batch", "N", "images per mini-batch (default 64)", min: 1);
    public static readonly Option<string> Optimizer = CliOptions.Choice("--optimizer", "sgd|adam", "adam (default) or sgd with momentum 0.9", "adam", "sgd");
    public static readonly Option<float?> LearningRate = CliOptions.Number("--lr", "RATE", "learning rate (default 1e-3 for adam, 0.01 for sgd); the peak rate for onecycle", above: 0f);
    public static readonly Option<string> Schedule = CliOptions.Choice("--schedule", "NAME",
        "learning rate over the run: cosine decay to 0 (default), constant, step, onecycle or warmup-cosine", [.. LearningRateSchedule.Names]);
    public static readonly Option<int?> StepEvery = CliOptions.Int("--step-every", "EPOCHS", "step schedule: multiply the rate by --step-gamma every EPOCHS epochs", min: 1);
    public static readonly Option<float?> StepGamma = CliOptions.Number("--step-gamma", "G", "step schedule: the factor (default 0.1)", above: 0f);
    public static readonly Option<float?> WarmupEpochs = CliOptions.Number("--warmup-epochs", "E",
        "warm-up length in epochs (fractions allowed): warmup-cosine (default 1) or onecycle (default 30 % of the run)", above: 0f);
    public static readonly Option<string> Augment = CliOptions.Text("--augment", "LIST",
        "random changes to the training images, new every epoch: crop (shift up to 2 pixels; cropN: N), flip, comma-separated, or none (default)");
    public static readonly Option<double?> ValidationSplit = CliOptions.Number("--validation-split", "FRACTION",
        "hold out this seeded fraction of the training data for the per-epoch validation; the test set is then evaluated once, at the end", above: 0d);
    public static readonly Option<int?> EarlyStopping = CliOptions.Int("--early-stopping", "PATIENCE", "stop once --monitor has not improved for PATIENCE epochs", min: 0);
    public static readonly Option<bool> RestoreBestWeights = CliOptions.Flag("--restore-best-weights", "with --early-stopping: end with the weights of the best epoch");
    public static readonly Option<int?> ReduceLrOnPlateau = CliOptions.Int("--reduce-lr-on-plateau", "PATIENCE",
        "multiply the rate by --reduce-lr-factor once --monitor has not improved for PATIENCE epochs", min: 0);
    public static readonly Option<float?> ReduceLrFactor = CliOptions.Number("--reduce-lr-factor", "F", "with --reduce-lr-on-plateau (default 0.1)", above: 0f);
    public static readonly Option<string> ModelCheckpoint = CliOptions.Text("--model-checkpoint", "FILE",
        "save the model after every epoch to FILE ({epoch} or {epoch:D2} in it becomes the epoch number)");
    public static readonly Option<bool> SaveBestOnly = CliOptions.Flag("--save-best-only", "with --model-checkpoint: only after epochs that improve --monitor");
    public static readonly Option<string> Monitor = CliOptions.Choice("--monitor", "NAME",
        "what the three above watch: val_loss (default), val_accuracy (both need --validation-split), loss or accuracy", TrainSettings.Monitors);
    public static readonly Option<float?> MinDelta = CliOptions.Number("--min-delta", "X",
        "smallest change of --monitor that counts as an improvement (default 0; 1e-4 for --reduce-lr-on-plateau)", above: float.NegativeInfinity);
    public static readonly Option<string> CsvLog = CliOptions.Text("--csv-log", "FILE", "per-epoch metrics as CSV, rewritten after every epoch");
    public static readonly Option<string> JsonLog = CliOptions.Text("--json-log", "FILE", "per-epoch metrics as JSON, rewritten after every epoch");
    public static readonly Option<float?> TargetAccuracy = CliOptions.Number("--target-accuracy", "X",
        "report the training time until the per-epoch held-out accuracy first reaches X (a recipe's target by default)", above: 0f);
    public static readonly Option<float?> CheckpointEvery = CliOptions.Number("--checkpoint-every", "MINUTES",
        "besides every epoch end and Ctrl+C, save the training state to OUT.ckpt this often mid-epoch (default 5; fractions allowed)", above: 0f);
    public static readonly Option<int?> CheckpointEveryBatches = CliOptions.Int("--checkpoint-every-batches", "N", "also save OUT.ckpt after every N batches of an epoch", min: 1);
    public static readonly Option<bool> Resume = CliOptions.Flag("--resume",
        "continue from OUT.ckpt (run with the same options as the interrupted run); starts afresh, saying so, when there is none");
    public static readonly Option<bool> KeepCheckpoint = CliOptions.Flag("--keep-checkpoint", "keep OUT.ckpt when training completes (removed by default)");
    public static readonly Option<string> Device = DeviceOption.Create("cpu");
    public static readonly Option<int?> Seed = CliOptions.Int("--seed", "N", "seed for weights, shuffling, augmentation, dropout and the validation split (default 1)");
    public static readonly Option<int?> Threads = DeviceOption.Threads();
    public static readonly Option<string> Out = CliOptions.Text("--out", "FILE", "where to save the model (default model.safetensors); also FILE.curves.png and FILE.filters.png");
    public static readonly Option<string> MetricsOut = CliOptions.Text("--metrics-out", "FILE", "write per-epoch metrics as JSON");
    public static readonly Option<int?> Limit = CliOptions.Int("--limit", "N", "train on the first N training images only", min: 1);

    /// <summary>Every option, in the order `cnn train --help` lists them.</summary>
    public static IEnumerable<Option> All =>
    [
        Data, Model, Recipe, Epochs, Batch, Optimizer, LearningRate, Schedule, StepEvery, StepGamma, WarmupEpochs, Augment,
        ValidationSplit, EarlyStopping, RestoreBestWeights, ReduceLrOnPlateau, ReduceLrFactor, ModelCheckpoint, SaveBestOnly, Monitor,
        MinDelta, CsvLog, JsonLog, TargetAccuracy, CheckpointEvery, CheckpointEveryBatches, Resume, KeepCheckpoint, Device, Seed,
        Threads, Out, MetricsOut, Limit,
    ];
}
