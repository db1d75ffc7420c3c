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
/// `cnn train`: builds a model, trains it with the test set as validation, then saves the model, the training
/// curves, the first-layer filters and (when asked) the metrics JSON.
/// </summary>
/// <remarks>
/// Every file the run will write is checked before the data is loaded (<see cref="OutputPath.Prepare"/>), so an
/// unwritable --out never throws away a trained model. Nothing is written before training has finished: a run
/// that diverges or is cancelled leaves an existing --out file as it was.
/// </remarks>
public static class TrainCommand
{
    internal static ArgParser Parser { get; } = new ArgParser("train", "Trains a model on MNIST-format IDX data and saves it (safetensors).")
        .Option("data", "DIR", $"folder with train-/t10k- images and labels (default {FashionMnist.DefaultFolder})")
        .Option("model", "NAME|SPEC", "lenet5, convnet (default) or a spec such as conv8k5-relu-maxpool2-dense10")
        .Option("epochs", "N", "passes over the training data (default 5)")
        .Option("batch", "N", "images per mini-batch (default 64)")
        .Option("optimizer", "sgd|adam", "adam (default) or sgd with momentum 0.9")
        .Option("lr", "RATE", "learning rate (default 1e-3 for adam, 0.01 for sgd)")
        .Option("schedule", "cosine|constant", "learning rate over the run: cosine decay to 0 (default) or constant")
        .Option("device", "NAME", DeviceOption.Help + " (default cpu)")
        .Option("seed", "N", "seed for weights and shuffling (default 1)")
        .Option("threads", "N", DeviceOption.ThreadsHelp)
        .Option("out", "FILE", "where to save the model (default model.safetensors); also FILE.curves.png and FILE.filters.png")
        .Option("metrics-out", "FILE", "write per-epoch metrics as JSON")
        .Option("limit", "N", "train on the first N training images only");

    public static int Run(string[] args, CliContext ctx)
    {
        var a = Parser.Parse(args);
        string dataDir = a.String("data", FashionMnist.DefaultFolder);
        string modelName = a.String("model", "convnet");
        int epochs = a.Int("epochs", 5, min: 1);
        int batch = a.Int("batch", 64, min: 1);
        string optimizerName = a.Choice("optimizer", "adam", "adam", "sgd");
        float lr = a.Float("lr", optimizerName == "adam" ? 1e-3f : 0.01f, above: 0);
        var schedule = LearningRateSchedule.FromName(a.Choice("schedule", "cosine", "cosine", "constant"));
        string deviceName = a.String("device", "cpu");
        int seed = a.Int("seed", 1);
        int threads = a.Int("threads", 0, min: 0);
        string outPath = a.String("out", "model.safetensors");
        string? metricsPath = a.String("metrics-out");
        int limit = a.Int("limit", int.MaxValue, min: 1);
        CheckSpec(modelName);
        PrepareOutputs(outPath, metricsPath, FirstLayerIsConvolution(modelName));

        // The device first: a wrong name should fail at once, not after loading 70,000 images.
        using var device = DeviceOption.Open(deviceName, threads, ctx);
        var train = Dataset.LoadFolder(dataDir, train: true, limit: limit);
        var test = Dataset.LoadFolder(dataDir, train: false);

        using var model = ModelBuilder.Build(modelName, device, train.InputShape, seed, ctx.LoggerFactory);
        Optimizer optimizer = optimizerName == "adam" ? new Adam(lr) : new Sgd(lr, momentum: 0.9f);
        model.Compile(optimizer, Loss.CategoricalCrossEntropy, Metric.Accuracy);
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training {modelName} ({model.ParameterCount:N0} parameters) on {device.Name}: {train.Count:N0} training and {test.Count:N0} test images, {epochs} epochs, batch {batch}, {optimizer.Spec}, {schedule} schedule"));

        var progress = TrainingProgress.For(ctx);
        var history = progress.Run(() => model.Fit(train, batch, epochs, validation: test, callback: progress, schedule: schedule, cancellation: ctx.Cancellation));
        double testAccuracy = history.Last.ValidationAccuracy ?? double.NaN;

        model.Save(outPath, new Dictionary<string, string>
        {
            [SavedModel.ClassesKey] = string.Join('|', train.ClassNames),
            [SavedModel.EpochsKey] = history.Epochs.Count.ToString(CultureInfo.InvariantCulture),
            [SavedModel.TestAccuracyKey] = testAccuracy.ToString("R", CultureInfo.InvariantCulture),
            [SavedModel.DeviceKey] = device.Name,
            ["schedule"] = schedule.Name,
        });
        ctx.Out.WriteLine($"test accuracy {EpochLine.Percent(testAccuracy)} after {history.Epochs.Count} epoch{(history.Epochs.Count == 1 ? "" : "s")}; model saved to {outPath}");

        string curves = SiblingPath(outPath, ".curves.png");
        CurvePicture.Save(curves,
        [
            new CurveSeries("train loss", history.Epochs.Select(e => e.TrainLoss).ToList()),
            new CurveSeries("train accuracy", history.Epochs.Select(e => e.TrainAccuracy).ToList(), CurveAxis.Right),
            new CurveSeries("test accuracy", history.Epochs.Select(e => e.ValidationAccuracy ?? double.NaN).ToList(), CurveAxis.Right),
        ], title: $"{modelName} on {device.Name}");
        ctx.Out.WriteLine($"training curves: {curves}");
        if (model.Layers[0] is Conv2d conv)
        {
            string filters = SiblingPath(outPath, ".filters.png");
            FiltersCommand.SaveFilters(filters, conv);
            ctx.Out.WriteLine($"first-layer filters: {filters}");
        }

        if (metricsPath is not null)
        {
            new TrainingMetrics(modelName, model.Spec, device.Name, optimizer.Spec, lr, schedule.Name, batch, seed, threads,
                                model.ParameterCount, train.Count, test.Count, TrainingMetrics.FromHistory(history), testAccuracy)
                .Save(metricsPath);
            ctx.Out.WriteLine($"metrics: {metricsPath}");
        }
        return Program.Ok;
    }

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
    /// Checks every file the run will write, before any work: the model, its pictures, the metrics. Folders are made
    /// here ("--out runs/7/model.safetensors" should just work).
    /// </summary>
    private static void PrepareOutputs(string outPath, string? metricsPath, bool filtersPicture)
    {
        OutputPath.Prepare(outPath, "--out", createFolder: true);
        OutputPath.Prepare(SiblingPath(outPath, ".curves.png"), "the curves picture", createFolder: true);
        if (filtersPicture) OutputPath.Prepare(SiblingPath(outPath, ".filters.png"), "the filters picture", createFolder: true);
        if (metricsPath is not null) OutputPath.Prepare(metricsPath, "--metrics-out", createFolder: true);
    }

    private static bool FirstLayerIsConvolution(string nameOrSpec)
    {
        var layers = ModelSpec.Parse(nameOrSpec);
        bool conv = layers[0] is Conv2d;
        foreach (var layer in layers) layer.Dispose();
        return conv;
    }
}
