using CnnNative.Devices;
using CnnNative.Tests.Cli;
using CnnNative.Tests.Data;

namespace CnnNative.Tests.Reliability;

/// <summary>
/// Issue 13, findings 1 to 3 (data loss): what `cnn train --out` may replace, when an unwritable --out is found,
/// and the temporary files a killed save leaves behind.
/// </summary>
public class OutputFindingTests
{
    private TempFolder _temp = null!;
    private string _data = null!;

    [SetUp]
    public void CreateData()
    {
        _temp = new TempFolder();
        _data = _temp.File("data");
        SyntheticData.Write(_data, trainCount: 32, testCount: 8);
    }

    [TearDown] public void DeleteFolder() => _temp.Dispose();

    private CliResult Train(params string[] more)
        => CliRunner.Run(["train", "--data", _data, "--model", SmallModel.Spec, "--epochs", "1", "--batch", "16",
                          "--device", "reference", .. more]);

    private static bool Trained(CliResult r) => r.Out.Contains("epoch 1/1");

    [Test]
    public void Finding1_OutNamingACharacterDeviceIsRefusedAndTheNodeSurvives()
    {
        Assume.That(UnixFiles.IsRoot, "mknod needs root (CI runs as root)");
        string node = _temp.File("node");
        UnixFiles.MakeCharacterDevice(node);

        var r = Train("--out", node);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain(node).And.Contain("character device"), r.ToString());
        Assert.That(Trained(r), Is.False, "refused before training");
        Assert.That(UnixFiles.KindOf(node), Is.EqualTo("character special file"));
    }

    [Test]
    public void Finding1_OutThroughASymlinkWritesTheTargetAndKeepsTheLink()
    {
        string target = _temp.File("runs", "model.safetensors"), link = _temp.File("latest.safetensors");
        Directory.CreateDirectory(_temp.File("runs"));
        File.WriteAllText(target, "yesterday's model");
        File.CreateSymbolicLink(link, target);

        var r = Train("--out", link);

        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(UnixFiles.KindOf(link), Is.EqualTo("symbolic link"));
        Assert.That(new FileInfo(link).LinkTarget, Is.EqualTo(target));
        using var device = Device.Create("reference");
        using var model = CnnNative.Training.Sequential.Load(target, device);
        Assert.That(model.Spec, Is.EqualTo("conv2k5-relu-maxpool2-dense10-softmax"));
    }

    [TestCase("under a file")]
    [TestCase("in /proc")]
    [TestCase("a directory")]
    public void Finding2_AnUnwritableOutIsFoundBeforeTraining(string where)
    {
        string existing = _temp.File("model.safetensors");
        File.WriteAllText(existing, "keep me");
        string outPath = where switch
        {
            "under a file" => _temp.File("model.safetensors", "m.safetensors"),
            "in /proc" => "/proc/self/m.safetensors",
            _ => _temp.File("data"),
        };

        var r = Train("--out", outPath);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(Trained(r), Is.False, "the check comes before training: " + r);
        Assert.That(r.Error, Does.Contain($"--out '{outPath}'"), r.ToString());
        Assert.That(r.Error, Does.Not.Contain(".tmp"), "the message names the user's path, not a temporary file");
        Assert.That(File.ReadAllText(existing), Is.EqualTo("keep me"));
    }

    [Test]
    public void Finding2_AMetricsFileThatCannotBeWrittenIsFoundBeforeTraining()
    {
        string fifo = _temp.File("metrics.json");
        UnixFiles.MakeFifo(fifo);

        var r = Train("--out", _temp.File("m.safetensors"), "--metrics-out", fifo);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(Trained(r), Is.False, r.ToString());
        Assert.That(r.Error, Does.Contain($"--metrics-out '{fifo}'").And.Contain("FIFO"), r.ToString());
        Assert.That(File.Exists(_temp.File("m.safetensors")), Is.False);
    }

    [Test]
    public void Finding3_ASaveRemovesTheTempFilesOfDeadProcessesOnly()
    {
        int dead = UnixFiles.DeadProcessId();
        string[] stale = [$".m.safetensors.tmp-{dead}", $".other.png.tmp-{dead}"];
        string[] kept = [".m.safetensors.tmp-1", $"m.safetensors.tmp-{dead}", $".notes.txt.tmp-{dead}x", "notes.txt"];
        foreach (var name in stale.Concat(kept)) File.WriteAllText(_temp.File(name), "left over");

        SmallModel.Save(_temp.File("m.safetensors"));

        var names = Directory.GetFiles(_temp.Path).Select(Path.GetFileName);
        Assert.That(names, Is.EquivalentTo(kept.Append("m.safetensors")), "stale temp files of dead processes go; everything else stays");
    }
}
