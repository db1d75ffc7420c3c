using System.CommandLine;
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
    /// <summary>The command's name, description and options (<see cref="TrainOptions"/>).</summary>
    internal static Command Definition { get; } = CreateDefinition();

    /// <summary>Runs `cnn train`.</summary>
    public static int Run(ParseResult a, CliContext ctx)
    {
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
            ? $"{Counts.Of(train.Count, "image")} less a {s.ValidationSplit:0.###} validation split, {Counts.Of(test.Count, "test image")}"
            : $"{Counts.Of(train.Count, "training image")} and {Counts.Of(test.Count, "test image")}";
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{recipe}training {s.ModelName} ({Counts.Of(model.ParameterCount, "parameter")}) on {device.Name}: {data}, {Counts.Of(s.Epochs, "epoch")}, batch {s.Batch}, {optimizer.Spec}, {s.Schedule.Spec} schedule, augmentation {s.Augmentation?.Spec ?? "none"}"));

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
        ctx.Out.WriteLine($"test accuracy {EpochLine.Percent(testAccuracy)} after {Counts.Of(history.Epochs.Count, "epoch")}; model saved to {s.OutPath}");
        if (s.AccuracyTarget is { } goal) ctx.Out.WriteLine(TimeToAccuracyLine(goal, timeToAccuracy, history, split ? "validation" : "test"));

        string curves = SiblingPath(s.OutPath, ".curves.png");
        CurvePicture.Save(curves, history.Epochs, split ? "validation" : "test", $"{s.ModelName} on {device.Name}");
        ctx.Out.WriteLine($"training curves: {curves}");
        if (model.Layers[0] is Conv2d conv)
        {
            string filters = SiblingPath(s.OutPath, ".filters.png");
            FiltersCommand.SaveFilters(filters, conv, Path.GetFileName(s.OutPath));
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
                    ctx.Out.WriteLine($"early stopping: {e.Monitor} did not improve for {Counts.Of(e.Patience, "epoch")} after epoch {e.BestEpoch}; stopped after epoch {e.StoppedEpoch}");
                    break;
                case ReduceLROnPlateau { Reductions: > 0 } r:
                    ctx.Out.WriteLine($"learning rate lowered {Counts.Of(r.Reductions, "time")} on a {r.Monitor} plateau");
                    break;
            }
        foreach (var e in callbacks.OfType<EarlyStopping>().Where(e => e.RestoredEpoch > 0))
            ctx.Out.WriteLine($"restored the weights of epoch {e.RestoredEpoch}, the best {e.Monitor} ({e.Best:0.####})");
    }

    /// <summary>"time to 90.0 % test accuracy: 5.4 s of training (epoch 2)", or that it was not reached.</summary>
    private static string TimeToAccuracyLine(double target, (int Epoch, double Seconds)? reached, History history, string on)
        => reached is { } r
            ? string.Create(CultureInfo.InvariantCulture, $"time to {EpochLine.Percent(target)} {on} accuracy: {r.Seconds:F1} s of training (epoch {r.Epoch})")
            : $"{on} accuracy did not reach {EpochLine.Percent(target)} in {Counts.Of(history.Epochs.Count, "epoch")} (best {EpochLine.Percent(history.Epochs.Max(e => e.ValidationAccuracy ?? 0))})";

    /// <summary>"model.safetensors" → "model.curves.png": the pictures sit beside the model they belong to.</summary>
    internal static string SiblingPath(string modelPath, string suffix) => Path.ChangeExtension(modelPath, null) + suffix;

    private static Command CreateDefinition()
    {
        var command = new Command("train", "Trains a model on MNIST-format IDX data and saves it (safetensors).");
        foreach (var option in TrainOptions.All) command.Options.Add(option);
        return command;
    }

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
