using System.Text;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Serialization;
using CnnNative.Tensors;
using CnnNative.Tests.Data;
using CnnNative.Tests.Reliability;

namespace CnnNative.Tests.Serialization;

/// <summary>What the strict header accepts (the rejections are in <see cref="SafeTensorsFindingTests"/>), and the load options.</summary>
public class SafeTensorsHeaderTests
{
    private TempFolder _temp = null!;

    [SetUp] public void CreateFolder() => _temp = new TempFolder();
    [TearDown] public void DeleteFolder() => _temp.Dispose();

    private static SafeTensorsHeader Parse(string json, long data) => SafeTensorsHeader.Parse("x.safetensors", Encoding.UTF8.GetBytes(json), data);

    [Test]
    public void EmptyTensorsScalarsAndOtherDtypesFollowTheFormat()
    {
        var header = Parse("""
            {"b":{"dtype":"F16","shape":[3],"data_offsets":[16,22]},
             "empty":{"dtype":"F32","shape":[0,5],"data_offsets":[16,16]},
             "a":{"dtype":"F32","shape":[],"data_offsets":[12,16]},
             "first":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},
             "u":{"dtype":"U8","shape":[4],"data_offsets":[8,12]},
             "__metadata__":{"note":"\u00e9t\u00e9 \ud83d\ude00"}}   
            """, 22);
        Assert.That(header.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "first", "u", "a", "empty", "b" }), "in the order of their data");
        Assert.That(header.Find("a")!.ElementCount, Is.EqualTo(1));
        Assert.That(header.Find("empty")!.ElementCount, Is.Zero);
        Assert.That(header.Metadata["note"], Is.EqualTo("été 😀"));
    }

    [Test]
    public void AFileWithNoTensorsHasNoData()
    {
        Assert.That(Parse("{}", 0).Tensors, Is.Empty);
        Assert.Throws<InvalidDataException>(() => Parse("{}", 4));
    }

    [Test]
    public void ReadingAnotherDtypeAsFloatNamesTheTensor()
    {
        string path = SafeTensorsFindingTests.WriteRaw(_temp.File("f16.safetensors"),
            Encoding.UTF8.GetBytes("""{"half":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"""), 4);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("'half'").And.Contain("F16"));
    }

    [Test]
    public void WritingTwoTensorsOfOneNameIsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => SafeTensors.Write(_temp.File("m.safetensors"),
            [new NamedTensor("w", [1], [1f]), new NamedTensor("w", [1], [2f])], new Dictionary<string, string>()));
        Assert.That(ex!.Message, Does.Contain("'w'"));
        Assert.That(File.Exists(_temp.File("m.safetensors")), Is.False);
    }

    [Test]
    public void NonFiniteWeightsLoadWhenAllowed()
    {
        string path = _temp.File("inf.safetensors");
        using var device = Device.Create("reference");
        using (var model = ModelBuilder.Build("dense3", device, new Shape(2)))
            model.Save(path);
        var (tensors, metadata) = SafeTensors.Read(path);
        tensors[0].Data[1] = float.PositiveInfinity;
        SafeTensors.Write(path, tensors, metadata);

        var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, device));
        Assert.That(ex!.Message, Does.Contain("Infinity at element 1").And.Contain("AllowNonFiniteWeights"));
        using var loaded = ModelFile.Load(path, device, out _, options: new ModelLoadOptions { AllowNonFiniteWeights = true });
        Assert.That(loaded.Parameters.First().Value.ToArray()[1], Is.EqualTo(float.PositiveInfinity));
    }

    [Test]
    public void AModelFileIsCheckedAgainstTheMemoryBudgetGiven()
    {
        string path = _temp.File("m.safetensors");
        using var device = Device.Create("reference");
        using (var model = ModelBuilder.Build("lenet5", device, new Shape(1, 28, 28)))
            model.Save(path);
        var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, device, out _, options: new ModelLoadOptions { MemoryBudget = 100_000 }));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("memory budget"));
    }

    [Test]
    public void ADirectoryOrFifoGivenAsAModelIsRefusedAtOnce()
    {
        UnixFiles.MakeFifo(_temp.File("fifo"));
        using var device = Device.Create("reference");
        Assert.That(Assert.Throws<InvalidDataException>(() => ModelFile.Load(_temp.File("fifo"), device))!.Message, Does.Contain("FIFO"));
        Assert.That(Assert.Throws<InvalidDataException>(() => ModelFile.Load(_temp.Path, device))!.Message, Does.Contain("is a directory"));
    }
}
