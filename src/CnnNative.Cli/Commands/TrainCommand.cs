using System.Globalization;
using CnnNative.Cli.Options;
using CnnNative.Cli.Output;
using CnnNative.Cli.Pictures;
using CnnNative.Data;
using CnnNative.Layers;
using CnnNative.Models;
using CnnNative.Serialization;
using CnnNative.Training;

namespace CnnNative.Cli.Commands;

/// <summary>
/// `cnn train`: builds a model, trains it (validating every epoch on the test set, or on a split of the training
/// set with --validation-split), then saves the model, the training curves, the first-layer filters and (when
/// asked) the metrics JSON.
/// </summary>
/// <remarks>
/// Every file the run will write is checked before the data is loaded (<see cref="OutputPath.Prepare"/>), so an
/// unwritable --out never throws away a trained model. The model file is written only when training has finished:
/// a run that diverges or is cancelled leaves an existing --out file as it was. Meanwhile the whole training state
/// goes to --out + ".ckpt" at every epoch end, every --checkpoint-every minutes and on Ctrl+C, so that --resume can
/// continue a run that was killed; it is removed once the model is saved (unless --keep-checkpoint).
/// </remarks>
public static class TrainCommand
{
    internal static ArgParser Parser { get; } = new ArgParser("train", "Trains a model on MNIST-format IDX data and saves it (safetensors).")
        .Option("data", "DIR", $"folder with train-/t10k- images and labels (default {FashionMnist.DefaultFolder})")
        .Option("model", "NAME|SPEC", "lenet5, convnet (default) or a spec such as conv8k5-relu-maxpool2-dense10")
        .Option("recipe", "NAME", $"start from a tested recipe ({string.Join(", ", Recipe.All.Keys)}): model, optimizer, schedule, epochs, batch and augmentation, and report the time to its accuracy target; options given beside it win")
        .Option("epochs", "N", "passes over the training data (default 5)")
        .Option("batch", "N", "images per mini-batch (default 64)")
        .Option("optimizer", "sgd|adam", "adam (default) or sgd with momentum 0.9")
        .Option("lr", "RATE", "learning rate (default 1e-3 for adam, 0.01 for sgd); the peak rate for onecycle")
        .Option("schedule", "NAME", "learning rate over the run: cosine decay to 0 (default), constant, step, onecycle or warmup-cosine")
        .Option("step-every", "EPOCHS", "step schedule: multiply the rate by --step-gamma every EPOCHS epochs")
        .Option("step-gamma", "G", "step schedule: the factor (default 0.1)")
        .Option("warmup-epochs", "E", "warm-up length in epochs (fractions allowed): warmup-cosine (default 1) or onecycle (default 30 % of the run)")
        .Option("augment", "LIST", "random changes to the training images, new every epoch: crop (shift up to 2 pixels; cropN: N), flip, comma-separated, or none (default)")
        .Option("validation-split", "FRACTION", "hold out this seeded fraction of the training data for the per-epoch validation; the test set is then evaluated once, at the end")
        .Option("early-stopping", "PATIENCE", "stop once --monitor has not improved for PATIENCE epochs")
        .Flag("restore-best-weights", "with --early-stopping: end with the weights of the best epoch")
        .Option("reduce-lr-on-plateau", "PATIENCE", "multiply the rate by --reduce-lr-factor once --monitor has not improved for PATIENCE epochs")
        .Option("reduce-lr-factor", "F", "with --reduce-lr-on-plateau (default 0.1)")
        .Option("model-checkpoint", "FILE", "save the model after every epoch to FILE ({epoch} or {epoch:D2} in it becomes the epoch number)")
        .Flag("save-best-only", "with --model-checkpoint: only after epochs that improve --monitor")
        .Option("monitor", "NAME", "what the three above watch: val_loss (default), val_accuracy (both need --validation-split), loss or accuracy")
        .Option("min-delta", "X", "smallest change of --monitor that counts as an improvement (default 0; 1e-4 for --reduce-lr-on-plateau)")
        .Option("csv-log", "FILE", "per-epoch metrics as CSV, rewritten after every epoch")
        .Option("json-log", "FILE", "per-epoch metrics as JSON, rewritten after every epoch")
        .Option("target-accuracy", "X", "report the training time until the per-epoch held-out accuracy first reaches X (a recipe's target by default)")
        .Option("checkpoint-every", "MINUTES", "besides every epoch end and Ctrl+C, save the training state to OUT.ckpt this often mid-epoch (default 5; fractions allowed)")
        .Option("checkpoint-every-batches", "N", "also save OUT.ckpt after every N batches of an epoch")
        .Flag("resume", "continue from OUT.ckpt (run with the same options as the interrupted run); starts afresh, saying so, when there is none")
        .Flag("keep-checkpoint", "keep OUT.ckpt when training completes (removed by default)")
        .Option("device", "NAME", DeviceOption.Help + " (default cpu)")
        .Option("seed", "N", "seed for weights, shuffling, augmentation, dropout and the validation split (default 1)")
        .Option("threads", "N", DeviceOption.ThreadsHelp)
        .Option("out", "FILE", "where to save the model (default model.safetensors); also FILE.curves.png and FILE.filters.png")
        .Option("metrics-out", "FILE", "write per-epoch metrics as JSON")
        .Option("limit", "N", "train on the first N training images only");

    public static int Run(string[] args, CliContext ctx)
    {
        var a = Parser.Parse(args);
        var s = TrainSettings.Read(a);
        var callbacks = TrainSettings.ReadCallbacks(a, s.ValidationSplit > 0);
        CheckSpec(s.ModelName);
        PrepareOutputs(s, callbacks, FirstLayerIsConvolution(s.ModelName));

        // The device first: a wrong name should fail at once, not after loading 70,000 images.
        using var device = DeviceOption.Open(s.DeviceName, s.Threads, ctx);
        var train = Dataset.LoadFolder(s.DataDir, train: true, limit: s.Limit);
        var test = Dataset.LoadFolder(s.DataDir, train: false);
        bool split = s.ValidationSplit > 0;

        using var model = ModelBuilder.Build(s.ModelName, device, train.InputShape, s.Seed, ctx.LoggerFactory);
        Optimizer optimizer = s.CreateOptimizer();
        model.Compile(optimizer, Loss.CategoricalCrossEntropy, Metric.Accuracy);
        string recipe = s.Recipe is null ? "" : $"recipe {s.Recipe.Name}: ";
        string data = split
            ? $"{train.Count:N0} images less a {s.ValidationSplit:0.###} validation split, {test.Count:N0} test images"
            : $"{train.Count:N0} training and {test.Count:N0} test images";
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{recipe}training {s.ModelName} ({model.ParameterCount:N0} parameters) on {device.Name}: {data}, {s.Epochs} epochs, batch {s.Batch}, {optimizer.Spec}, {s.Schedule.Spec} schedule, augmentation {s.Augmentation?.Spec ?? "none"}"));

        string? resumeFrom = ResumeFrom(s, ctx);
        var progress = TrainingProgress.For(ctx, split ? "validation" : "test");
        if (resumeFrom is not null) callbacks.Insert(0, new ResumeNote(progress, resumeFrom));
        var checkpoint = new TrainingCheckpoint(s.CheckpointPath)
        {
            Every = s.CheckpointEvery,
            EveryBatches = s.CheckpointEveryBatches,
            KeepWhenDone = true, // removed below, once the model is saved
        };
        History history;
        try
        {
            history = progress.Run(() => model.Fit(train, s.Batch, s.Epochs, validation: split ? null : test, callback: progress,
                                                   schedule: s.Schedule, cancellation: ctx.Cancellation, callbacks: callbacks,
                                                   validationSplit: s.ValidationSplit, augmentation: s.Augmentation,
                                                   checkpoint: checkpoint, resumeFrom: resumeFrom));
        }
        catch (OperationCanceledException)
        {
            ctx.Out.WriteLine($"training stopped; its state is saved in {s.CheckpointPath}: run the same command with --resume to continue");
            throw;
        }
        ReportCallbacks(callbacks, ctx);

        // The test set was evaluated after every epoch unless it was kept out of training (a validation split);
        // then, or when earlier weights were restored, it is evaluated once now.
        bool restored = callbacks.OfType<EarlyStopping>().Any(e => e.RestoredEpoch > 0);
        double testAccuracy = split || restored ? model.Evaluate(test).Accuracy : history.Last.ValidationAccuracy ?? double.NaN;
        var timeToAccuracy = s.AccuracyTarget is { } target ? history.TimeTo(target) : null;

        model.Save(s.OutPath, new Dictionary<string, string>
        {
            [SavedModel.ClassesKey] = string.Join('|', train.ClassNames),
            [SavedModel.EpochsKey] = history.Epochs.Count.ToString(CultureInfo.InvariantCulture),
            [SavedModel.TestAccuracyKey] = testAccuracy.ToString("R", CultureInfo.InvariantCulture),
            [SavedModel.DeviceKey] = device.Name,
            ["schedule"] = s.Schedule.Name,
        });
        ctx.Out.WriteLine($"test accuracy {EpochLine.Percent(testAccuracy)} after {history.Epochs.Count} epoch{(history.Epochs.Count == 1 ? "" : "s")}; model saved to {s.OutPath}");
        if (s.AccuracyTarget is { } goal) ctx.Out.WriteLine(TimeToAccuracyLine(goal, timeToAccuracy, history, split ? "validation" : "test"));

        string curves = SiblingPath(s.OutPath, ".curves.png");
        CurvePicture.Save(curves,
        [
            new CurveSeries("train loss", history.Epochs.Select(e => e.TrainLoss).ToList()),
            new CurveSeries("train accuracy", history.Epochs.Select(e => e.TrainAccuracy).ToList(), CurveAxis.Right),
            new CurveSeries(split ? "validation accuracy" : "test accuracy", history.Epochs.Select(e => e.ValidationAccuracy ?? double.NaN).ToList(), CurveAxis.Right),
        ], title: $"{s.ModelName} on {device.Name}");
        ctx.Out.WriteLine($"training curves: {curves}");
        if (model.Layers[0] is Conv2d conv)
        {
            string filters = SiblingPath(s.OutPath, ".filters.png");
            FiltersCommand.SaveFilters(filters, conv);
            ctx.Out.WriteLine($"first-layer filters: {filters}");
        }

        if (s.MetricsPath is not null)
        {
            new TrainingMetrics(s.ModelName, model.Spec, device.Name, optimizer.Spec, s.LearningRate, s.Schedule.Name, s.Batch, s.Seed, s.Threads,
                                model.ParameterCount, train.Count, test.Count, TrainingMetrics.FromHistory(history, split), testAccuracy)
            {
                Recipe = s.Recipe?.Name,
                ValidationSplit = s.ValidationSplit,
                Augment = s.Augmentation?.Spec ?? "none",
                AccuracyTarget = s.AccuracyTarget,
                TimeToAccuracySeconds = timeToAccuracy?.Seconds,
            }.Save(s.MetricsPath);
            ctx.Out.WriteLine($"metrics: {s.MetricsPath}");
        }
        if (!s.KeepCheckpoint) File.Delete(s.CheckpointPath);
        return Program.Ok;
    }

    /// <summary>The checkpoint to continue from with --resume, saying where it stands; null (and why) otherwise.</summary>
    private static string? ResumeFrom(TrainSettings s, CliContext ctx)
    {
        bool exists = File.Exists(s.CheckpointPath);
        if (!s.Resume)
        {
            if (exists) ctx.Out.WriteLine($"note: {s.CheckpointPath} is left from an earlier run and will be replaced; pass --resume to continue that run instead");
            return null;
        }
        if (!exists)
        {
            ctx.Out.WriteLine($"no checkpoint at {s.CheckpointPath}: starting afresh");
            return null;
        }
        return s.CheckpointPath;
    }

    /// <summary>Says where Fit took the run up, once it has read and accepted the checkpoint.</summary>
    private sealed class ResumeNote(TrainingProgress progress, string path) : ICallback
    {
        public void OnTrainBegin(TrainingContext context)
        {
            if (context.ResumedAt is not { } at) return;
            progress.WriteLine(context.StopTraining || at.Epoch > context.Epochs
                ? $"resuming from {path}: its training had already finished; saving its results"
                : $"resuming from {path} at epoch {at.Epoch}, batch {at.Batch} of {context.BatchesPerEpoch}");
        }
    }

    private static void ReportCallbacks(List<ICallback> callbacks, CliContext ctx)
    {
        foreach (var c in callbacks)
            switch (c)
            {
                case EarlyStopping { StoppedEpoch: > 0 } e:
                    ctx.Out.WriteLine($"early stopping: {e.Monitor} did not improve for {e.Patience} epoch{(e.Patience == 1 ? "" : "s")} after epoch {e.BestEpoch}; stopped after epoch {e.StoppedEpoch}");
                    break;
                case ReduceLROnPlateau { Reductions: > 0 } r:
                    ctx.Out.WriteLine($"learning rate lowered {r.Reductions} time{(r.Reductions == 1 ? "" : "s")} on a {r.Monitor} plateau");
                    break;
            }
        foreach (var e in callbacks.OfType<EarlyStopping>().Where(e => e.RestoredEpoch > 0))
            ctx.Out.WriteLine($"restored the weights of epoch {e.RestoredEpoch}, the best {e.Monitor} ({e.Best:0.####})");
    }

    /// <summary>"time to 90.0 % test accuracy: 5.4 s of training (epoch 2)", or that it was not reached.</summary>
    private static string TimeToAccuracyLine(double target, (int Epoch, double Seconds)? reached, History history, string on)
        => reached is { } r
            ? string.Create(CultureInfo.InvariantCulture, $"time to {EpochLine.Percent(target)} {on} accuracy: {r.Seconds:F1} s of training (epoch {r.Epoch})")
            : $"{on} accuracy did not reach {EpochLine.Percent(target)} in {history.Epochs.Count} epochs (best {EpochLine.Percent(history.Epochs.Max(e => e.ValidationAccuracy ?? 0))})";

    /// <summary>"model.safetensors" → "model.curves.png": the pictures sit beside the model they belong to.</summary>
    internal static string SiblingPath(string modelPath, string suffix) => Path.ChangeExtension(modelPath, null) + suffix;

    /// <summary>A bad --model is a usage error, found before minutes of data loading.</summary>
    internal static void CheckSpec(string nameOrSpec, string option = "--model")
    {
        try
        {
            foreach (var layer in ModelSpec.Parse(nameOrSpec)) layer.Dispose();
        }
        catch (FormatException e) { throw new UsageException($"invalid value for {option}: {e.Message}", e); }
    }

    /// <summary>
    /// Checks every file the run will write, before any work: the model, its checkpoint, its pictures, the metrics
    /// and the logs. Folders are made here ("--out runs/7/model.safetensors" should just work).
    /// </summary>
    private static void PrepareOutputs(TrainSettings s, IEnumerable<ICallback> callbacks, bool filtersPicture)
    {
        OutputPath.Prepare(s.OutPath, "--out", createFolder: true);
        OutputPath.Prepare(s.CheckpointPath, "the checkpoint", createFolder: true);
        OutputPath.Prepare(SiblingPath(s.OutPath, ".curves.png"), "the curves picture", createFolder: true);
        if (filtersPicture) OutputPath.Prepare(SiblingPath(s.OutPath, ".filters.png"), "the filters picture", createFolder: true);
        if (s.MetricsPath is not null) OutputPath.Prepare(s.MetricsPath, "--metrics-out", createFolder: true);
        foreach (var log in callbacks.OfType<EpochLog>()) OutputPath.Prepare(log.Path, log is CsvLogger ? "--csv-log" : "--json-log", createFolder: true);
    }

    private static bool FirstLayerIsConvolution(string nameOrSpec)
    {
        var layers = ModelSpec.Parse(nameOrSpec);
        bool conv = layers[0] is Conv2d;
        foreach (var layer in layers) layer.Dispose();
        return conv;
    }
}
