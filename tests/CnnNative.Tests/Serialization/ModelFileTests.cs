using CnnNative.Devices.Reference;
using CnnNative.Models;
using CnnNative.Serialization;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Serialization;

public class ModelFileTests
{
    private string _dir = null!;

    [SetUp]
    public void MakeFolder() => _dir = Directory.CreateTempSubdirectory("cnn-model-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static float[] Images(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count * 28 * 28).Select(_ => rng.NextSingle()).ToArray();
    }

    [Test]
    public void SaveThenLoadGivesIdenticalPredictions()
    {
        using var device = new ReferenceDevice();
        using var model = ModelBuilder.Build("conv4k5p2-relu-maxpool2-conv6k3s2-relu-avgpool2-flatten-dense12-tanh-dense10", device, new Shape(1, 28, 28), seed: 11);
        model.Compile(new Adam(), Loss.CategoricalCrossEntropy, Metric.Accuracy);
        string path = Path.Combine(_dir, "m.safetensors");
        model.Save(path, new Dictionary<string, string> { ["note"] = "hello" });

        using var loaded = ModelFile.Load(path, device, out var metadata);
        Assert.That(loaded.Spec, Is.EqualTo(model.Spec));
        Assert.That(metadata["note"], Is.EqualTo("hello"));
        Assert.That(metadata["optimizer"], Does.StartWith("adam(lr=0.001"));
        var x = Images(3, 1);
        Assert.That(loaded.Predict(x), Is.EqualTo(model.Predict(x)));
    }

    [Test]
    public void ATruncatedFileIsRejectedNamingTheFile()
    {
        using var device = new ReferenceDevice();
        using var model = ModelBuilder.Build("lenet5", device, new Shape(1, 28, 28));
        string path = Path.Combine(_dir, "m.safetensors");
        model.Save(path);
        var bytes = File.ReadAllBytes(path);
        foreach (int keep in new[] { 4, 100, bytes.Length - 10 })
        {
            File.WriteAllBytes(path, bytes[..keep]);
            var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, device));
            Assert.That(ex!.Message, Does.Contain(path));
        }
    }

    [Test]
    public void AFileFromAnotherArchitectureIsRejected()
    {
        using var device = new ReferenceDevice();
        using var model = ModelBuilder.Build("lenet5", device, new Shape(1, 28, 28));
        string path = Path.Combine(_dir, "m.safetensors");
        model.Save(path);
        // Same tensor names, other shapes: swap the architecture in the metadata.
        var (tensors, meta) = SafeTensors.Read(path);
        meta["spec"] = "conv8k5p2-relu-maxpool2-conv16k5-relu-maxpool2-flatten-dense120-relu-dense84-relu-dense10-softmax";
        SafeTensors.Write(path, tensors, meta);
        var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, device));
        Assert.That(ex!.Message, Does.Contain("conv2d_1.weight").And.Contain("shape"));
    }

    [Test]
    public void AFileThatIsNotAModelIsRejected()
    {
        string path = Path.Combine(_dir, "junk.safetensors");
        File.WriteAllText(path, "this is not a model at all");
        using var device = new ReferenceDevice();
        Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, device));
    }

    [Test]
    public void AFailedSaveLeavesThePreviousFileIntact()
    {
        using var device = new ReferenceDevice();
        using var model = ModelBuilder.Build("lenet5", device, new Shape(1, 28, 28));
        string path = Path.Combine(_dir, "m.safetensors");
        model.Save(path);
        var before = File.ReadAllBytes(path);
        var bad = new List<NamedTensor> { new("x", [2, 2], new float[3]) }; // shape and data disagree
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, bad, new Dictionary<string, string>()));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file left behind");
    }
}
