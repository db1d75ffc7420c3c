using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Models;
using CnnNative.Serialization;
using CnnNative.Tensors;
using CnnNative.Tests.Devices.Conformance;
using CnnNative.Tests.Training;
using CnnNative.Training;

namespace CnnNative.Tests.Serialization;

/// <summary>
/// BatchNorm's running statistics are buffers in the model file: saved beside the parameters, loaded into the layers
/// on any device, and checked like the weights (present, of the right shape, finite, and a variance not negative).
/// </summary>
public class RunningStatisticsFileTests
{
    private const string Spec = "conv4k3p1-bn-relu-maxpool2-flatten-dense6-bn-relu-dense3";
    private string _dir = null!;

    [SetUp]
    public void MakeFolder() => _dir = Directory.CreateTempSubdirectory("cnn-bn-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    /// <summary>The model trained for an epoch (so its running statistics are far from 0 and 1), saved.</summary>
    private string TrainedFile(IDevice device, out Sequential model)
    {
        model = ModelBuilder.Build(Spec, device, new Shape(1, 8, 8), seed: 2);
        model.Compile(new Adam(lr: 0.01f), Loss.CategoricalCrossEntropy);
        model.Fit(SyntheticData.Bars(96, seed: 3), batchSize: 32, epochs: 1);
        string path = Path.Combine(_dir, "bn.safetensors");
        model.Save(path);
        return path;
    }

    private static float[][] Buffers(Sequential m) => m.Buffers.Select(b => b.Value.ToArray()).ToArray();

    [Test]
    public void TheRunningStatisticsAreSavedAndLoadedOnEveryDevice()
    {
        using var cpu = Device.Create("cpu", threads: 2);
        string path = TrainedFile(cpu, out var trained);
        using (trained)
        {
            var (tensors, _) = SafeTensors.Read(path);
            Assert.That(tensors.Select(t => t.Name), Is.SupersetOf(new[] { "bn_1.running_mean", "bn_1.running_var", "bn_2.running_mean", "bn_2.running_var" }));
            Assert.That(tensors.Single(t => t.Name == "bn_2.running_var").Shape, Is.EqualTo(new[] { 6 }));
            Assert.That(Buffers(trained)[1], Has.Some.Not.EqualTo(1f), "trained: the running variance moved");

            var images = SyntheticData.Bars(20, seed: 4).Images.ToArray();
            var expected = trained.Predict(images);
            foreach (var name in new[] { "cpu", "reference" }.Concat(TestDevices.Names).Distinct())
            {
                using var device = Device.Create(name, threads: 2);
                using var loaded = Sequential.Load(path, device);
                Assert.That(Buffers(loaded), Is.EqualTo(Buffers(trained)), $"{name}: the running statistics, bit for bit");
                Assert.That(loaded.Parameters.Select(p => p.Value.ToArray()), Is.EqualTo(trained.Parameters.Select(p => p.Value.ToArray())), name);
                Assert.That(loaded.Predict(images), Is.EqualTo(expected).Within(1e-5f), $"{name}: predictions with the loaded statistics");
            }
        }
    }

    private string Edited(Action<List<NamedTensor>> edit)
    {
        using var device = Device.Create("reference");
        string path = TrainedFile(device, out var model);
        model.Dispose();
        var (tensors, meta) = SafeTensors.Read(path);
        var list = tensors.ToList();
        edit(list);
        SafeTensors.Write(path, list, meta);
        return path;
    }

    [Test]
    public void AFileWithoutTheRunningStatisticsIsRefusedNamingThem()
    {
        string path = Edited(t => t.RemoveAll(n => n.Name == "bn_2.running_var"));
        using var device = Device.Create("reference");
        var e = Assert.Throws<InvalidDataException>(() => Sequential.Load(path, device))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("'bn_2.running_var'"));
    }

    [Test]
    public void ANegativeRunningVarianceIsRefused()
    {
        string path = Edited(t =>
        {
            int i = t.FindIndex(n => n.Name == "bn_1.running_var");
            var values = t[i].Data.ToArray();
            values[2] = -0.5f;
            t[i] = t[i] with { Data = values };
        });
        using var device = Device.Create("reference");
        var e = Assert.Throws<InvalidDataException>(() => Sequential.Load(path, device))!;
        Assert.That(e.Message, Does.Contain("'bn_1.running_var'").And.Contain("-0.5").And.Contain("element 2").And.Contain("negative"));
    }

    [Test]
    public void ANaNRunningMeanIsRefusedUnlessAsked()
    {
        string path = Edited(t =>
        {
            int i = t.FindIndex(n => n.Name == "bn_2.running_mean");
            t[i] = t[i] with { Data = t[i].Data.Select((v, k) => k == 1 ? float.NaN : v).ToArray() };
        });
        using var device = Device.Create("reference");
        var e = Assert.Throws<InvalidDataException>(() => Sequential.Load(path, device))!;
        Assert.That(e.Message, Does.Contain("'bn_2.running_mean'").And.Contain("NaN"));
        using var loaded = ModelFile.Load(path, device, out _, options: new ModelLoadOptions { AllowNonFiniteWeights = true });
        Assert.That(loaded.Layers.OfType<BatchNorm>().Last().RunningMean.Value.ToArray()[1], Is.NaN);
    }
}
