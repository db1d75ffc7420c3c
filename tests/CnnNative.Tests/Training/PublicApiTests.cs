using System.Runtime.CompilerServices;
using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Devices.Reference;
using CnnNative.Layers;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Training;

/// <summary>Issue 11 §3: losses as values, typed predictions, tensor input, cancellation, progress, streams, LoadWeights.</summary>
public class PublicApiTests
{
    private const string Spec = "conv4k3p1-relu-maxpool2-flatten-dense8-relu-dense3-softmax";
    private static readonly Shape Input = new(1, 8, 8);
    private string _dir = null!;

    [SetUp] public void MakeFolder() => _dir = Directory.CreateTempSubdirectory("cnn-api-").FullName;
    [TearDown] public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static Sequential Build(IDevice device, int seed = 1, string spec = Spec)
    {
        var model = ModelBuilder.Build(spec, device, Input, seed);
        model.Compile(new Adam(0.01f), Loss.CategoricalCrossEntropy, Metric.Accuracy);
        return model;
    }

    private static float[] Images(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count * Input.Size).Select(_ => rng.NextSingle()).ToArray();
    }

    [Test]
    public void LossesAreSharedValuesThatOwnNothing()
    {
        Assert.That(Loss.CategoricalCrossEntropy, Is.SameAs(Loss.CategoricalCrossEntropy));
        Assert.That(Loss.FromName("mse"), Is.SameAs(Loss.MeanSquaredError));
        Assert.That(Loss.CategoricalCrossEntropy, Is.Not.InstanceOf<IDisposable>());
        using var device = new ReferenceDevice();
        var data = SyntheticData.Bars(20, seed: 2);
        using (var first = Build(device)) first.Fit(data, batchSize: 10, epochs: 1);
        // The first model's disposal freed nothing the shared loss needs.
        using var second = Build(device, seed: 2);
        Assert.That(second.Fit(data, batchSize: 10, epochs: 1).Last.TrainLoss, Is.GreaterThan(0).And.Not.NaN);
    }

    [Test]
    public void ClassifyReturnsProbabilitiesAndClassesAndTakesTensors()
    {
        using var device = new ReferenceDevice();
        using var model = Build(device);
        var images = Images(5, 3);
        var probabilities = model.Predict(images, batchSize: 2);
        var prediction = model.Classify(images, batchSize: 2);
        Assert.That(prediction.Count, Is.EqualTo(5));
        Assert.That(prediction.Outputs, Is.EqualTo(3));
        Assert.That(prediction.Probabilities, Is.EqualTo(probabilities));
        for (int i = 0; i < 5; i++)
        {
            var row = probabilities.AsSpan(i * 3, 3).ToArray();
            Assert.That(prediction[i].ToArray(), Is.EqualTo(row));
            Assert.That(prediction.Classes[i], Is.EqualTo(Array.IndexOf(row, row.Max())));
        }
        Assert.That(model.PredictClasses(images), Is.EqualTo(prediction.Classes));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = prediction[5].Length);

        using var tensor = Tensor.FromSpan(device, Input.WithBatch(5), images);
        Assert.That(model.Predict(tensor), Is.EqualTo(probabilities));
        Assert.That(model.Classify(tensor).Classes, Is.EqualTo(prediction.Classes));
        using var wrong = Tensor.Zeros(device, new Shape(5, 64));
        Assert.That(Assert.Throws<ArgumentException>(() => model.Predict(wrong))!.Message, Does.Contain("(1, 8, 8)").And.Contain("(5, 64)"));
    }

    [Test]
    public void PredictAndEvaluateStopWhenCancelledAndRunAgainAfterwards()
    {
        using var device = new ReferenceDevice();
        using var model = Build(device);
        var data = SyntheticData.Bars(30, seed: 4);
        var images = Images(4, 5);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => model.Predict(images, cancellation: cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => model.Evaluate(data, cancellation: cancelled.Token));
        Assert.That(model.Predict(images), Has.Length.EqualTo(12));
        Assert.That(model.Evaluate(data).Count, Is.EqualTo(30));
    }

    [Test]
    public void FitReportsEachEpochThroughIProgress()
    {
        using var device = new ReferenceDevice();
        using var model = Build(device);
        var reported = new List<EpochResult>();
        var history = model.Fit(SyntheticData.Bars(40, seed: 6), batchSize: 20, epochs: 3, progress: new Collect(reported));
        Assert.That(reported, Is.EqualTo(history.Epochs));
    }

    [Test]
    public void SaveCreatesTheFolderAndStreamsRoundTrip()
    {
        using var device = new ReferenceDevice();
        using var model = Build(device);
        var images = Images(3, 7);
        var expected = model.Predict(images);

        string path = Path.Combine(_dir, "runs", "today", "m.safetensors");
        model.Save(path);
        using (var fromFile = Sequential.Load(path, device)) Assert.That(fromFile.Predict(images), Is.EqualTo(expected));

        using var stream = new MemoryStream();
        stream.Write([1, 2, 3]); // the model need not start the stream
        model.Save(stream);
        Assert.That(stream.CanWrite, Is.True, "Save leaves the stream open");
        stream.Position = 3;
        using (var fromStream = Sequential.Load(stream, device)) Assert.That(fromStream.Predict(images), Is.EqualTo(expected));
        Assert.That(stream.CanRead, Is.True, "Load leaves the stream open");

        using var forwardOnly = new ForwardOnlyStream(File.ReadAllBytes(path));
        using var fromForwardOnly = Sequential.Load(forwardOnly, device);
        Assert.That(fromForwardOnly.Predict(images), Is.EqualTo(expected));
    }

    [Test]
    public void LoadWeightsChecksNamesAndShapesLikeLoadStateDict()
    {
        using var device = new ReferenceDevice();
        using var trained = Build(device, seed: 1);
        trained.Fit(SyntheticData.Bars(30, seed: 8), batchSize: 10, epochs: 1);
        string path = Path.Combine(_dir, "trained.safetensors");
        trained.Save(path);
        var images = Images(4, 9);

        using var other = Build(device, seed: 2);
        Assert.That(other.Predict(images), Is.Not.EqualTo(trained.Predict(images)));
        other.LoadWeights(path);
        Assert.That(other.Predict(images), Is.EqualTo(trained.Predict(images)));
        using var stream = new MemoryStream(File.ReadAllBytes(path));
        using var third = Build(device, seed: 3);
        third.LoadWeights(stream);
        Assert.That(third.Predict(images), Is.EqualTo(trained.Predict(images)));

        using var wider = Build(device, seed: 4, spec: Spec.Replace("dense8", "dense16"));
        var before = wider.Predict(images);
        var e = Assert.Throws<InvalidDataException>(() => wider.LoadWeights(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("linear_1.weight").And.Contain("[16,64]"));
        Assert.That(wider.Predict(images), Is.EqualTo(before), "a refused file changes nothing");

        using var deeper = Build(device, seed: 5, spec: Spec.Replace("dense3-softmax", "dense3-relu-dense3-softmax"));
        Assert.That(Assert.Throws<InvalidDataException>(() => deeper.LoadWeights(path))!.Message, Does.Contain("has no tensor 'linear_3.weight'"));
    }

    // ------------------------------------------------------------------ the README's explicit loop

    [Test]
    public void TheReadmeExplicitLoopCompilesAndTrains()
    {
        using var device = Device.Create("cpu", threads: 2);
        var train = SyntheticData.Bars(128, classes: 3, size: 8, seed: 10);
        using var model = new Sequential(device, inputShape: new Shape(1, 8, 8), seed: 1)
            .Add(new Conv2d(filters: 4, kernel: 3, padding: Padding.Same))
            .Add(new ReLU())
            .Add(new MaxPool2d(size: 2))
            .Add(new Flatten())
            .Add(new Linear(units: 3))
            .Add(new Softmax());
        model.Compile(new Adam(lr: 1e-2f), Loss.CategoricalCrossEntropy, Metric.Accuracy);
        double before = model.Evaluate(train).Loss;

        // README: explicit loop
        var loader = new DataLoader(train, batchSize: 64, shuffle: true, seed: 1);
        for (int epoch = 0; epoch < 3; epoch++)
            foreach (var batch in loader.Epoch(epoch))
            {
                using var x = Tensor.FromSpan(device, batch.Shape, batch.Images);
                using var targets = Tensor.FromSpan(device, new Shape(batch.Count, train.ClassCount), batch.OneHotTargets);
                var logits = model.ForwardLogits(x, training: true);   // below the final Softmax: the loss fuses it
                float loss = model.ComputeLoss(logits, targets);       // the compiled loss; keeps dLoss/dlogits
                model.Optimizer!.ZeroGrad();
                model.Backward();                                      // back-propagates that gradient
                model.Optimizer.Step();
            }
        // README: end

        Assert.That(model.Evaluate(train).Loss, Is.LessThan(before));
        var readme = ReadmeBlock("The PyTorch habit of writing the step yourself");
        var here = Region(File.ReadAllLines(SourceFile()), "// README: explicit loop", "// README: end");
        Assert.That(here, Is.EqualTo(readme), "the README shows exactly the loop this test compiles and runs");
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;

    private static string[] Region(string[] lines, string start, string end)
    {
        int from = Array.FindIndex(lines, l => l.Trim() == start) + 1, to = Array.FindIndex(lines, l => l.Trim() == end);
        return lines[from..to].Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
    }

    /// <summary>The lines of the first C# block after <paramref name="heading"/> in the repository's README.</summary>
    private static string[] ReadmeBlock(string heading)
    {
        string readme = Path.Combine(Path.GetDirectoryName(SourceFile())!, "..", "..", "..", "README.md");
        var lines = File.ReadAllLines(readme);
        int at = Array.FindIndex(lines, l => l.Contains(heading, StringComparison.Ordinal));
        Assert.That(at, Is.GreaterThanOrEqualTo(0), $"README has '{heading}'");
        int open = Array.FindIndex(lines, at, l => l.Trim() == "```csharp");
        return Region(lines[open..], "```csharp", "```");
    }

    private sealed class Collect(List<EpochResult> into) : IProgress<EpochResult>
    {
        public void Report(EpochResult value) => into.Add(value);
    }

    /// <summary>A stream that can only be read forward, like a network stream.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    }
}
