using CnnNative.Cli.Bench;
using CnnNative.Tests.Data;
using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Onnx;

/// <summary>What the ONNX tests share: trained models, real Fashion-MNIST images, ONNX Runtime as the oracle.</summary>
internal static class OnnxTesting
{
    /// <summary>Every layer kind in one spec: rectangular kernel, stride and padding, no-bias conv, both pools (one
    /// overlapping), all three activations, a Linear straight on a feature map (no Flatten in front), Flatten, Dropout.</summary>
    public const string EveryLayerSpec =
        "conv8k3x5s1x2p1x2-relu-avgpool2-conv6k3nobias-sigmoid-maxpool3s2-conv4k2-tanh-dense32-relu-dropout0.25-flatten-dense16nobias-tanh-dense10-softmax";

    /// <summary>Batch normalization after convolutions (with its own eps and momentum) and after a dense layer, global average pooling.</summary>
    public const string BatchNormSpec = "conv8k3p1-bn-relu-maxpool2-conv16k3nobias-bne0.001m0.01-relu-gap-dense16-bn-relu-dense10-softmax";

    /// <summary>The specs the exporter is checked on: the built-in models, <see cref="EveryLayerSpec"/> and <see cref="BatchNormSpec"/>.</summary>
    public static IEnumerable<string> Specs => ["lenet5", "convnet", EveryLayerSpec, BatchNormSpec];

    /// <summary>
    /// The spec a model of <paramref name="spec"/> has after export and import: the same, except that a Linear fed a
    /// feature map gets an explicit Flatten (ONNX's Gemm takes (N, features), so the exporter writes one).
    /// </summary>
    public static string AfterRoundTrip(string spec) => spec.Replace("-tanh-dense32", "-tanh-flatten-dense32");

    private static readonly Lazy<Dataset> TestImages = new(() => FashionMnist.Load(train: false));
    private static readonly Lazy<Dataset> TrainImages = new(() => FashionMnist.Load(train: true));

    /// <summary>The first <paramref name="count"/> Fashion-MNIST test images, NCHW.</summary>
    public static float[] Images(int count) => TestImages.Value.Take(count).Images.ToArray();

    /// <summary>
    /// <paramref name="spec"/> on <paramref name="device"/> with the weights of one short epoch on real images (trained
    /// once per test run on the cpu device, then loaded), so that its outputs are a trained model's (confident, far from
    /// uniform, biases not zero), not an initialisation's.
    /// </summary>
    public static Sequential Trained(string spec, IDevice device)
    {
        Lazy<string> file;
        lock (TrainedFiles) file = TrainedFiles.TryGetValue(spec, out var f) ? f : TrainedFiles[spec] = new(() => Train(spec));
        return Sequential.Load(file.Value, device);
    }

    private static readonly Dictionary<string, Lazy<string>> TrainedFiles = [];
    private static readonly TempFolder TrainedFolder = new();

    private static string Train(string spec)
    {
        using var cpu = Device.Create("cpu", threads: 2);
        using var model = ModelBuilder.Build(spec, cpu, new Shape(1, 28, 28), seed: 1);
        model.Compile(new Adam(lr: 2e-3f), Loss.CategoricalCrossEntropy);
        model.Fit(TrainImages.Value.Take(1_000), batchSize: 50, epochs: 1);
        string path = TrainedFolder.File($"{TrainedFiles.Count}-{spec.Length}.safetensors");
        model.Save(path);
        return path;
    }

    /// <summary>Deletes the trained models' files when the ONNX tests are done.</summary>
    public static void DeleteTrainedModels() => TrainedFolder.Dispose();

    /// <summary>ONNX Runtime (CPU execution provider, all graph optimisations, one thread) on an .onnx file's bytes.</summary>
    public static float[] RunInOnnxRuntime(byte[] onnx, Shape input, Shape output, float[] images)
    {
        using var session = new OnnxRuntimeSession(onnx, input, output, threads: 1);
        return session.Predict(images, images.Length / input.Size);
    }

    /// <summary>Asserts every value within <paramref name="tolerance"/>, printing the largest difference either way.</summary>
    public static void AssertClose(float[] actual, float[] expected, double tolerance, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        int worst = 0;
        double max = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            if (!(d <= max)) (max, worst) = (d, i);
        }
        TestContext.Progress.WriteLine($"{what}: max |difference| {max:E2} over {actual.Length:N0} values");
        Assert.That(max, Is.LessThanOrEqualTo(tolerance),
                    $"{what}: value {worst} is {actual[worst]}, expected {expected[worst]} (difference {max:E2}, tolerance {tolerance:E0})");
    }
}
