using System.Buffers.Binary;
using System.Text;
using CnnNative.Devices;
using CnnNative.Serialization;
using CnnNative.Tests.Cli;
using CnnNative.Tests.Data;

namespace CnnNative.Tests.Reliability;

/// <summary>
/// Issue 13, finding 7: safetensors files that break the format's rules are rejected with an
/// <see cref="InvalidDataException"/> naming the file and the tensor (or metadata key), and non-finite weights
/// do not load silently.
/// </summary>
public class SafeTensorsFindingTests
{
    private TempFolder _temp = null!;

    [SetUp] public void CreateFolder() => _temp = new TempFolder();
    [TearDown] public void DeleteFolder() => _temp.Dispose();

    /// <summary>A file with exactly this header (UTF-8 bytes) and <paramref name="dataBytes"/> zero bytes of data.</summary>
    internal static string WriteRaw(string path, byte[] header, int dataBytes)
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string F32(string name, string shape, long begin, long end)
        => $"\"{name}\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    private static IEnumerable<TestCaseData> Violations()
    {
        TestCaseData Case(string name, string header, int data, string culprit)
            => new TestCaseData(Encoding.UTF8.GetBytes(header), data, culprit).SetName("Finding7_" + name);

        yield return Case("OverlappingOffsets", $"{{{F32("a", "[4]", 0, 16)},{F32("b", "[4]", 8, 24)}}}", 24, "'b'");
        yield return Case("AliasedOffsets", $"{{{F32("a", "[4]", 0, 16)},{F32("b", "[4]", 0, 16)}}}", 16, "'b'");
        yield return Case("AGapBetweenTensors", $"{{{F32("a", "[4]", 0, 16)},{F32("b", "[4]", 24, 40)}}}", 40, "'b'");
        yield return Case("DataBeforeTheFirstTensor", $"{{{F32("a", "[4]", 8, 24)}}}", 24, "'a'");
        yield return Case("DuplicateTensorNames", $"{{{F32("a", "[4]", 0, 16)},{F32("a", "[4]", 16, 32)}}}", 32, "'a'");
        yield return Case("DuplicateFieldsInAnEntry", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, "'a'");
        yield return Case("NegativeDimensions", $"{{{F32("a", "[-1,-4]", 0, 16)}}}", 16, "'a'");
        yield return Case("AShapeWhoseProductOverflows", $"{{{F32("a", "[1073741824,1073741824,1073741824,16]", 0, 0)}}}", 0, "'a'");
        yield return Case("ADimensionAboveIntMax", $"{{{F32("a", "[3000000000]", 0, 12000000000)}}}", 0, "'a'");
        yield return Case("FractionalOffsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0.5,16]}}", 16, "'a'");
        yield return Case("ThreeOffsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16,32]}}", 16, "'a'");
        yield return Case("ADtypeThatIsNotAString", "{\"a\":{\"dtype\":7,\"shape\":[4],\"data_offsets\":[0,16]}}", 16, "'a'");
        yield return Case("NonStringMetadata", $"{{\"__metadata__\":{{\"format\":1}},{F32("a", "[4]", 0, 16)}}}", 16, "'format'");
        yield return Case("DuplicateMetadataKeys", $"{{\"__metadata__\":{{\"k\":\"x\",\"k\":\"y\"}},{F32("a", "[4]", 0, 16)}}}", 16, "'k'");
        yield return Case("MetadataThatIsNotAnObject", $"{{\"__metadata__\":[\"k\"],{F32("a", "[4]", 0, 16)}}}", 16, "__metadata__");
        yield return Case("ALoneSurrogateInAName", $"{{{F32("a\\ud800", "[4]", 0, 16)}}}", 16, "tensor");

        var invalidUtf8 = Encoding.UTF8.GetBytes($"{{{F32("a?", "[4]", 0, 16)}}}");
        invalidUtf8[Array.IndexOf(invalidUtf8, (byte)'?')] = 0xFF;
        yield return new TestCaseData(invalidUtf8, 16, "UTF-8").SetName("Finding7_InvalidUtf8InAName");
    }

    [TestCaseSource(nameof(Violations))]
    public void ViolationIsAnInvalidDataExceptionNamingTheFileAndTheTensor(byte[] header, int data, string culprit)
    {
        string path = WriteRaw(_temp.File("bad.safetensors"), header, data);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain(culprit));
    }

    private string SaveModelWithANaNWeight()
    {
        string path = SmallModel.Save(_temp.File("nan.safetensors"));
        var (tensors, metadata) = SafeTensors.Read(path);
        tensors.Single(t => t.Name == "linear_1.weight").Data[17] = float.NaN;
        SafeTensors.Write(path, tensors, metadata);
        return path;
    }

    [Test]
    public void Finding7_NonFiniteWeightsAreRejectedAtLoad()
    {
        string path = SaveModelWithANaNWeight();
        using var device = Device.Create("reference");

        var error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, device));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("linear_1.weight").And.Contain("NaN").And.Contain("17"));
    }

    [Test]
    public void Finding7_EvaluateOfAModelWithNaNWeightsFailsInsteadOfPrintingLossNaN()
    {
        string path = SaveModelWithANaNWeight();
        SyntheticData.Write(_temp.File("data"), trainCount: 2, testCount: 4);

        var r = CliRunner.Run("evaluate", "--model", path, "--data", _temp.File("data"), "--device", "reference");

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain("linear_1.weight").And.Contain("NaN"), r.ToString());
    }
}
