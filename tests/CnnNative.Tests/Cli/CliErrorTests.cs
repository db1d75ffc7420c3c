using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Serialization;
using CnnNative.Tensors;
using CnnNative.Tests.Data;

namespace CnnNative.Tests.Cli;

/// <summary>
/// Every way a `cnn` run can go wrong ends in one "cnn: ..." line on stderr that names the culprit, exit code 2
/// for a wrong command line and 1 for a failed run, and no stack trace unless --verbose.
/// </summary>
public class CliErrorTests
{
    private TempFolder _temp = null!;

    [SetUp] public void CreateFolder() => _temp = new TempFolder();
    [TearDown] public void DeleteFolder() => _temp.Dispose();

    /// <summary>One row of the error table; "{dir}" in Args and Expected stands for the test's temp folder.</summary>
    public sealed record ErrorCase(string[] Args, int ExitCode, string[] Expected, Action<string>? Prepare = null);

    private static IEnumerable<TestCaseData> Errors()
    {
        TestCaseData Case(string name, ErrorCase c) => new TestCaseData(c).SetName(name);

        // Usage errors: exit 2.
        yield return Case("unknown command", new(["frobnicate"], 2, ["unknown command 'frobnicate'", "train"]));
        yield return Case("unknown option", new(["train", "--epoch", "3"], 2, ["unknown option '--epoch'", "--epochs", "--limit"]));
        yield return Case("missing value", new(["train", "--epochs"], 2, ["--epochs needs a value"]));
        yield return Case("option as a value", new(["train", "--out", "--epochs", "3"], 2, ["--out needs a value"]));
        yield return Case("invalid number", new(["train", "--epochs", "zero"], 2, ["'zero' for --epochs"]));
        yield return Case("number out of range", new(["train", "--batch", "0"], 2, ["'0' for --batch", "≥ 1"]));
        yield return Case("negative learning rate", new(["train", "--lr", "-1"], 2, ["'-1' for --lr"]));
        yield return Case("unknown optimizer", new(["train", "--optimizer", "rmsprop"], 2, ["'rmsprop' for --optimizer", "adam or sgd"]));
        yield return Case("bad spec token", new(["train", "--model", "conv4k5-relux-dense10"], 2, ["--model", "'relux'", "token 2"]));
        yield return Case("bad spec in summary", new(["summary", "conv4k5-maxpool2-dense1o"], 2, ["'dense1o'"]));
        yield return Case("bad input shape", new(["summary", "lenet5", "--input", "1,28"], 2, ["'1,28' for --input"]));
        yield return Case("model option missing", new(["evaluate"], 2, ["needs --model"]));
        yield return Case("predict input missing", new(["predict", "--model", "{dir}/m.safetensors"], 2, ["needs an INPUT"]));
        yield return Case("too many arguments", new(["summary", "lenet5", "convnet"], 2, ["unexpected argument 'convnet'"]));

        // Failed runs: exit 1.
        yield return Case("missing data folder", new(["train", "--data", "{dir}/nowhere", "--device", "reference"], 1,
            ["{dir}/nowhere", "dataset-fashion-mnist"]));
        yield return Case("unknown device", new(["train", "--device", "tpu7"], 1, ["Unknown device 'tpu7'", "Known devices: reference"]));
        yield return Case("corrupt IDX file", new(["train", "--data", "{dir}/data", "--device", "reference"], 1,
            ["{dir}/data/train-images-idx3-ubyte", "magic"], dir =>
            {
                SyntheticData.Write(Path.Combine(dir, "data"), 20, 10);
                File.WriteAllText(Path.Combine(dir, "data", "train-images-idx3-ubyte"), "not an IDX file at all");
            }));
        yield return Case("label count mismatch", new(["evaluate", "--model", "{dir}/m.safetensors", "--data", "{dir}/data", "--device", "reference"], 1,
            ["t10k-labels-idx1-ubyte", "7 labels but"], dir =>
            {
                SaveSmallModel(Path.Combine(dir, "m.safetensors"));
                SyntheticData.Write(Path.Combine(dir, "data"), 20, 10);
                IdxFiles.WriteLabels(Path.Combine(dir, "data", "t10k-labels-idx1-ubyte"), new byte[7]);
            }));
        yield return Case("missing model file", new(["evaluate", "--model", "{dir}/none.safetensors", "--device", "reference"], 1,
            ["{dir}/none.safetensors", "does not exist"]));
        yield return Case("truncated model file", new(["predict", "--model", "{dir}/cut.safetensors", "--device", "reference", "{dir}/x.pgm"], 1,
            ["{dir}/cut.safetensors", "truncated"], dir =>
            {
                string path = Path.Combine(dir, "cut.safetensors");
                SaveSmallModel(path);
                var bytes = File.ReadAllBytes(path);
                File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
                SyntheticData.WritePgm(Path.Combine(dir, "x.pgm"), 0);
            }));
        yield return Case("model of another architecture", new(["summary", "{dir}/other.safetensors"], 1,
            ["{dir}/other.safetensors", "conv2d_1.weight"], dir => SafeTensors.Write(Path.Combine(dir, "other.safetensors"),
                [new NamedTensor("conv2d_1.weight", [2, 1, 3, 3], new float[18])],
                new Dictionary<string, string> { ["format"] = ModelFile.FormatTag, ["spec"] = "conv4k5-relu-maxpool2-dense10", ["input_shape"] = "1,28,28" })));
        yield return Case("bad image file", new(["predict", "--model", "{dir}/m.safetensors", "--device", "reference", "{dir}/photo.png"], 1,
            ["{dir}/photo.png", "not an image"], dir =>
            {
                SaveSmallModel(Path.Combine(dir, "m.safetensors"));
                File.WriteAllText(Path.Combine(dir, "photo.png"), "these are not the pixels you are looking for");
            }));
        yield return Case("missing input file", new(["predict", "--model", "{dir}/m.safetensors", "--device", "reference", "{dir}/gone.pgm"], 1,
            ["{dir}/gone.pgm", "does not exist"], dir => SaveSmallModel(Path.Combine(dir, "m.safetensors"))));
        yield return Case("summary of a missing file", new(["summary", "{dir}/typo.safetensors"], 1, ["{dir}/typo.safetensors", "does not exist"]));
        yield return Case("spec that does not fit the input", new(["summary", "conv4k50-dense10"], 1, ["conv2d_1", "(1, 28, 28)"]));
    }

    [TestCaseSource(nameof(Errors))]
    public void ErrorIsOneLineWithExitCode(ErrorCase c)
    {
        c.Prepare?.Invoke(_temp.Path);
        var r = CliRunner.Run(c.Args.Select(Expand).ToArray());

        Assert.That(r.ExitCode, Is.EqualTo(c.ExitCode), r.ToString());
        var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), r.ToString());
        Assert.That(lines[0], Does.StartWith("cnn: "));
        foreach (var expected in c.Expected) Assert.That(lines[0], Does.Contain(Expand(expected)));
    }

    [Test]
    public void VerboseAddsTheStackTrace()
    {
        var r = CliRunner.Run("summary", "--verbose", "conv4k50-dense10");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Error, Does.StartWith("cnn: ").And.Contain("   at CnnNative."));
    }

    [Test]
    public void DivergingTrainingNamesEpochAndBatchAndKeepsTheOldModel()
    {
        string data = _temp.File("data"), model = _temp.File("keep.safetensors"), metrics = _temp.File("m.json");
        SyntheticData.Write(data, 64, 10);
        File.WriteAllText(model, "the model of yesterday's good run");

        var r = CliRunner.Run("train", "--data", data, "--model", "conv2k5-relu-maxpool2-dense10", "--device", "reference",
                              "--batch", "8", "--lr", "1e30", "--out", model, "--metrics-out", metrics);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Match(@"^cnn: The loss became \S+ at epoch 1, batch \d+ of 8").And.Contain("learning rate"));
        Assert.That(File.ReadAllText(model), Is.EqualTo("the model of yesterday's good run"));
        Assert.That(Directory.GetFiles(_temp.Path), Is.EquivalentTo(new[] { model }), "no metrics, pictures or temporary files");
    }

    private string Expand(string s) => s.Replace("{dir}", _temp.Path);

    private static void SaveSmallModel(string path)
    {
        using var device = Device.Create("reference");
        using var model = ModelBuilder.Build("conv2k5-relu-maxpool2-dense10", device, new Shape(1, 28, 28));
        model.Save(path);
    }
}
