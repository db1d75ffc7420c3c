using System.IO.Compression;
using System.Text;
using CnnNative.Cli.Pictures;
using CnnNative.Devices;
using CnnNative.Serialization;
using CnnNative.Tests.Cli;
using CnnNative.Tests.Data;

namespace CnnNative.Tests.Reliability;

/// <summary>
/// Issue 13, finding 6: a small input must not cost gigabytes. Each case measures the managed memory allocated
/// while the input is handled (the arrays a model's initial weights, an IDX file's pixels or a picture's pixels
/// would take) and expects a clear rejection or a bounded read instead.
/// </summary>
public class MemoryFindingTests
{
    private TempFolder _temp = null!;

    [SetUp] public void CreateFolder() => _temp = new TempFolder();
    [TearDown] public void DeleteFolder() => _temp.Dispose();

    private static long Allocated(Action action)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        action();
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }

    [Test]
    public void Finding6_SummaryOfAHugeInputShapeIsRefusedByTheMemoryBudget()
    {
        CliResult r = null!;
        long bytes = Allocated(() => r = CliRunner.Run("summary", "lenet5", "--input", "1,4096,4096"));

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain("lenet5").And.Contain("(1, 4096, 4096)").And.Contain("memory budget"), r.ToString());
        Assert.That(bytes, Is.LessThan(64 << 20));
    }

    [Test]
    public void Finding6_AModelFileWhoseSpecNeedsFarMoreThanItHoldsIsRejectedBeforeBuilding()
    {
        // 247 KB of weights under metadata that asks for a 392-million-weight layer.
        string path = _temp.File("small.safetensors");
        SafeTensors.Write(path, [new NamedTensor("linear_1.weight", [79, 784], new float[79 * 784])],
            new Dictionary<string, string> { ["format"] = ModelFile.FormatTag, ["spec"] = "flatten-dense500000", ["input_shape"] = "1,28,28" });
        using var device = Device.Create("reference");

        InvalidDataException? error = null;
        long bytes = Allocated(() => error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, device)));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("linear_1.weight"));
        Assert.That(bytes, Is.LessThan(32 << 20));
    }

    /// <summary>
    /// A data folder whose training images file claims (and holds) <paramref name="count"/> black 28x28 images,
    /// gzipped to about 80 KB per 100,000; the folder's plain files are ignored, as the .gz names come first.
    /// </summary>
    private static void WriteGzipBomb(string folder, int count)
    {
        SyntheticData.Write(folder, trainCount: 2, testCount: 4);
        using (var gz = new GZipStream(File.Create(Path.Combine(folder, "train-images-idx3-ubyte.gz")), CompressionLevel.Fastest))
        {
            gz.Write(IdxFiles.Build(0x803, [count, 28, 28], []));
            var zeros = new byte[28 * 28 * 1000];
            for (int i = 0; i < count / 1000; i++) gz.Write(zeros);
        }
        IdxFiles.Write(Path.Combine(folder, "train-labels-idx1-ubyte.gz"), IdxFiles.Build(0x801, [count], new byte[count]), gzip: true);
    }

    [Test]
    public void Finding6_TrainWithALimitReadsOnlyTheLimitOfAGzippedFile()
    {
        string data = _temp.File("bomb");
        WriteGzipBomb(data, 100_000);

        CliResult r = null!;
        long bytes = Allocated(() => r = CliRunner.Run("train", "--data", data, "--limit", "300", "--model", SmallModel.Spec,
                                                       "--epochs", "1", "--device", "reference", "--out", _temp.File("m.safetensors")));

        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain("300 training"));
        // The whole file would be 78 MB of bytes and 314 MB of floats.
        Assert.That(bytes, Is.LessThan(48 << 20));
    }

    [Test]
    public void Finding6_PredictWithALimitReadsOnlyTheLimitOfAGzippedFile()
    {
        string data = _temp.File("bomb");
        WriteGzipBomb(data, 100_000);
        string model = SmallModel.Save(_temp.File("m.safetensors"));

        CliResult r = null!;
        long bytes = Allocated(() => r = CliRunner.Run("predict", "--model", model, "--device", "reference", "--limit", "300",
                                                       Path.Combine(data, "train-images-idx3-ubyte.gz")));

        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain("predicted classes of 300 images"));
        Assert.That(bytes, Is.LessThan(24 << 20));
    }

    [Test]
    public void Finding6_AHugePgmIsRefusedBeforeItsPixelsAreAllocated()
    {
        string path = _temp.File("huge.pgm");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes("P5\n30000 30000\n255\n"), .. new byte[64]]);

        InvalidDataException? error = null;
        long bytes = Allocated(() => error = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path)));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("30000x30000").And.Contain("64 Mpixel"));
        Assert.That(bytes, Is.LessThan(16 << 20));
    }

    [Test]
    public void Finding6_AHugePngIsRefusedBeforeDecoding()
    {
        string path = _temp.File("huge.png");
        File.WriteAllBytes(path, PngBytes.Grey(30000, 30000, rows: 4));

        var error = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("30000x30000").And.Contain("64 Mpixel"));
    }
}
