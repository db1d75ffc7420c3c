using System.Text.Json;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Serialization;
using CnnNative.Tensors;
using CnnNative.Tests.Data;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

public class CallbackTests
{
    private const string Net = "conv2k3-relu-flatten-dense3";

    private static Sequential Build(IDevice device, float lr = 0.05f)
    {
        var model = ModelBuilder.Build(Net, device, new Shape(1, 8, 8), seed: 2);
        model.Compile(new Adam(lr), Loss.CategoricalCrossEntropy, Metric.Accuracy);
        return model;
    }

    /// <summary>A context as Fit makes it, to drive a callback epoch by epoch with made-up results.</summary>
    private static TrainingContext Context(Sequential model, float lr = 1f)
        => new(model, model.Optimizer!, new History(), epochs: 10, batchesPerEpoch: 1, hasValidation: true, baseLearningRate: lr);

    private static EpochResult Epoch(int epoch, double valLoss) => new(epoch, 1, 0.5, valLoss, 0.5, 1, 1);

    /// <summary>Feeds the validation losses to the callback as epochs 1, 2, ...; returns the epochs run before it stopped training.</summary>
    private static int Feed(ICallback callback, TrainingContext context, params double[] valLosses)
    {
        callback.OnTrainBegin(context);
        for (int i = 0; i < valLosses.Length; i++)
        {
            var result = Epoch(i + 1, valLosses[i]);
            context.History.Add(result);
            callback.OnEpochEnd(context, result);
            if (context.StopTraining) return i + 1;
        }
        return valLosses.Length;
    }

    [Test]
    public void EarlyStoppingStopsWhenPatienceRunsOutCountingAsKerasDoes()
    {
        using var device = Device.Create("reference");
        using var model = Build(device);
        var stop = new EarlyStopping("val_loss", patience: 2);
        Assert.That(Feed(stop, Context(model), 1.0, 0.8, 0.85, 0.9, 0.7), Is.EqualTo(4));
        Assert.That((stop.BestEpoch, stop.Best, stop.StoppedEpoch), Is.EqualTo((2, 0.8, 4)));

        // minDelta: 0.79 is not better than 0.8 by more than 0.05, so the wait goes on.
        var strict = new EarlyStopping("val_loss", patience: 1, minDelta: 0.05);
        Assert.That(Feed(strict, Context(model), 1.0, 0.8, 0.79), Is.EqualTo(3));
        Assert.That(strict.BestEpoch, Is.EqualTo(2));
    }

    [Test]
    public void EarlyStoppingRestoresTheWeightsOfTheBestEpoch()
    {
        using var device = Device.Create("reference");
        using var model = Build(device);
        var weight = model.Parameters.First();
        var context = Context(model);
        ICallback stop = new EarlyStopping("val_loss", patience: 5, restoreBestWeights: true);
        stop.OnTrainBegin(context);
        var best = weight.Value.ToArray();
        foreach (var (epoch, loss, value) in new[] { (1, 0.9, 0f), (2, 0.5, 0f), (3, 0.7, 9f) })
        {
            if (epoch == 3) device.Fill(weight.Value.Buffer, weight.Length, value);
            var result = Epoch(epoch, loss);
            context.History.Add(result);
            stop.OnEpochEnd(context, result);
        }
        stop.OnTrainEnd(context);
        Assert.That(weight.Value.ToArray(), Is.EqualTo(best));
        Assert.That(((EarlyStopping)stop).RestoredEpoch, Is.EqualTo(2));
    }

    [Test]
    public void EarlyStoppingRestoresTheRunningStatisticsWithTheWeights()
    {
        using var device = Device.Create("reference");
        using var model = ModelBuilder.Build("conv2k3-bn-relu-flatten-dense3", device, new Shape(1, 8, 8), seed: 2);
        model.Compile(new Adam(0.05f), Loss.CategoricalCrossEntropy);
        var runningVar = model.Buffers.Single(b => b.Name == "bn_1.running_var");
        var context = Context(model);
        ICallback stop = new EarlyStopping("val_loss", patience: 5, restoreBestWeights: true);
        stop.OnTrainBegin(context);
        foreach (var (epoch, loss) in new[] { (1, 0.9), (2, 0.5), (3, 0.7) })
        {
            device.Fill(runningVar.Value.Buffer, runningVar.Length, epoch);
            var result = Epoch(epoch, loss);
            context.History.Add(result);
            stop.OnEpochEnd(context, result);
        }
        stop.OnTrainEnd(context);
        Assert.That(runningVar.Value.ToArray(), Is.All.EqualTo(2f), "the running variance of the best epoch, 2");
    }

    [Test]
    public void ReduceLROnPlateauLowersTheBaseRateThenCoolsDown()
    {
        using var device = Device.Create("reference");
        using var model = Build(device);
        var context = Context(model, lr: 1f);
        ICallback reduce = new ReduceLROnPlateau("val_loss", factor: 0.5f, patience: 1, cooldown: 1, minLearningRate: 0.2f);
        reduce.OnTrainBegin(context);
        var rates = new List<float>();
        foreach (var (loss, i) in new[] { 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0 }.Select((l, i) => (l, i)))
        {
            reduce.OnEpochEnd(context, Epoch(i + 1, loss));
            rates.Add(context.BaseLearningRate);
        }
        // Drop on epoch 2, cool down on 3, drop on 4, cool on 5, then the floor of 0.2 holds.
        Assert.That(rates, Is.EqualTo(new[] { 1f, 0.5f, 0.5f, 0.25f, 0.25f, 0.2f, 0.2f }));
    }

    [Test]
    public void AValidationMonitorWithoutValidationDataIsRefusedAtTheStart()
    {
        using var device = Device.Create("reference");
        using var model = Build(device);
        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(SyntheticData.Bars(32), batchSize: 16, callbacks: [new EarlyStopping()]));
        Assert.That(ex!.Message, Does.Contain("val_loss").And.Contain("validationSplit"));
        Assert.Throws<ArgumentException>(() => _ = new EarlyStopping("val_acc"));
    }

    [Test]
    public void FitStopsWhenEarlyStoppingSaysSo()
    {
        using var device = Device.Create("reference");
        using var model = Build(device);
        var stop = new EarlyStopping("loss", patience: 0, minDelta: 100);
        var history = model.Fit(SyntheticData.Bars(32), batchSize: 16, epochs: 5, callbacks: [stop]);
        Assert.That(history.Epochs, Has.Count.EqualTo(2));
        Assert.That(stop.StoppedEpoch, Is.EqualTo(2));
    }

    [Test]
    public void ValidationSplitValidatesEveryEpochOnAHeldOutPart()
    {
        using var device = Device.Create("reference");
        using var model = Build(device);
        var data = SyntheticData.Bars(100);
        var history = model.Fit(data, batchSize: 16, epochs: 2, validationSplit: 0.2);
        Assert.That(history.Epochs.All(e => e.ValidationLoss is > 0 && e.ValidationAccuracy is >= 0), Is.True);
        Assert.That(history.Last.ImagesPerSecond * history.Last.Seconds, Is.EqualTo(80).Within(1e-6), "80 training images per epoch");
        Assert.Throws<ArgumentException>(() => model.Fit(data, validation: data, validationSplit: 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(data, validationSplit: 1.5));
    }

    [Test]
    public void ModelCheckpointSavesEveryEpochOrOnlyTheBest()
    {
        using var temp = new TempFolder();
        using var device = Device.Create("reference");
        using var model = Build(device);
        var every = new ModelCheckpoint(temp.File("every", "epoch{epoch:D2}.safetensors"));
        var best = new ModelCheckpoint(temp.File("best.safetensors"), monitor: "val_accuracy", saveBestOnly: true);
        var history = model.Fit(SyntheticData.Bars(60), batchSize: 16, epochs: 3, validation: SyntheticData.Bars(30, seed: 5), callbacks: [every, best]);

        Assert.That(Directory.GetFiles(temp.File("every")).Select(Path.GetFileName).Order(),
                    Is.EqualTo(new[] { "epoch01.safetensors", "epoch02.safetensors", "epoch03.safetensors" }));
        int bestEpoch = history.Epochs.First(e => e.ValidationAccuracy == history.Epochs.Max(x => x.ValidationAccuracy)).Epoch;
        using var saved = ModelFile.Load(best.LastSaved!, device, out var meta);
        Assert.That(meta["epoch"], Is.EqualTo(bestEpoch.ToString()));
        Assert.That(double.Parse(meta["val_accuracy"], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(best.Best));
        Assert.That(Directory.GetFiles(temp.Path, "*.tmp*", SearchOption.AllDirectories), Is.Empty);
        Assert.Throws<ArgumentException>(() => _ = new ModelCheckpoint("m{epoch:Q}.safetensors"));
    }

    [Test]
    public void TheLoggersHoldEveryEpochSoFar()
    {
        using var temp = new TempFolder();
        using var device = Device.Create("reference");
        using var model = Build(device);
        var history = model.Fit(SyntheticData.Bars(60), batchSize: 16, epochs: 3, validationSplit: 0.25,
                                callbacks: [new CsvLogger(temp.File("log.csv")), new JsonLogger(temp.File("log", "log.json"))]);

        var lines = File.ReadAllLines(temp.File("log.csv"));
        Assert.That(lines[0], Is.EqualTo("epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds,images_per_second"));
        Assert.That(lines, Has.Length.EqualTo(4));
        Assert.That(lines[3].Split(',')[3], Is.EqualTo(history.Last.ValidationLoss!.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(lines[1].Split(',')[5], Is.EqualTo("0.05"), "the learning rate as the float it is");

        using var json = JsonDocument.Parse(File.ReadAllText(temp.File("log", "log.json")));
        var epochs = json.RootElement.EnumerateArray().ToList();
        Assert.That(epochs.Select(e => e.GetProperty("epoch").GetInt32()), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(epochs[1].GetProperty("train_loss").GetDouble(), Is.EqualTo(history.Epochs[1].TrainLoss));
    }
}
