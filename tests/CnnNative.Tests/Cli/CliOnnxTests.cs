using System.Text.Json;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Tests.Data;
using CnnNative.Training;

namespace CnnNative.Tests.Cli;

/// <summary>`cnn export`, `cnn import`, `cnn --version` and the onnxruntime rows of `cnn bench`.</summary>
public class CliOnnxTests
{
    [Test]
    public void ExportThenImportGivesTheSameModel()
    {
        using var folder = new TempFolder();
        using var device = Device.Create("cpu", threads: 2);
        string original = folder.File("model.safetensors"), onnx = folder.File("model.onnx"), back = folder.File("back.safetensors");
        using (var model = ModelBuilder.Build("conv4k3p1-relu-maxpool2-flatten-dense10-softmax", device, new Shape(1, 28, 28), seed: 3))
            model.Save(original);

        var export = CliRunner.Run("export", "--model", original, "--onnx", onnx);
        Assert.That(export.ExitCode, Is.EqualTo(0), export.ToString());
        Assert.That(export.Out, Does.Contain($"wrote {onnx}").And.Contain("opset 13"));
        var import = CliRunner.Run("import", onnx, "--out", back);
        Assert.That(import.ExitCode, Is.EqualTo(0), import.ToString());
        Assert.That(import.Out, Does.Contain("conv2d_1 (Conv2d)").And.Contain($"wrote {back}"));

        using var a = Sequential.Load(original, device);
        using var b = Sequential.Load(back, device);
        var images = new float[3 * 28 * 28];
        for (int i = 0; i < images.Length; i++) images[i] = (i % 29) / 29f;
        Assert.That(b.Spec, Is.EqualTo(a.Spec));
        Assert.That(b.Predict(images), Is.EqualTo(a.Predict(images)));
    }

    [Test]
    public void ImportErrorsNameTheFile()
    {
        using var folder = new TempFolder();
        string junk = folder.File("junk.onnx");
        File.WriteAllBytes(junk, [0xFF, 0xFF, 0xFF, 0x01]);

        var missing = CliRunner.Run("import", folder.File("nosuch.onnx"), "--out", folder.File("m.safetensors"));
        var broken = CliRunner.Run("import", junk, "--out", folder.File("m.safetensors"));
        var noOut = CliRunner.Run("import", junk);

        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.ToString());
        Assert.That(missing.Error, Does.Contain("nosuch.onnx").And.Contain("does not exist"));
        Assert.That(broken.ExitCode, Is.EqualTo(1), broken.ToString());
        Assert.That(broken.Error, Does.Contain("junk.onnx").And.Contain("is not an ONNX model"));
        Assert.That(noOut.ExitCode, Is.EqualTo(2), noOut.ToString());
        Assert.That(File.Exists(folder.File("m.safetensors")), Is.False, "nothing is written when the import fails");
    }

    [Test]
    public void ExportNeedsBothFiles()
    {
        var r = CliRunner.Run("export", "--model", "whatever.safetensors");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain("--onnx"));
    }

    [Test]
    public void VersionIsThePackageVersion()
    {
        var r = CliRunner.Run("--version");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Match(@"^cnn \d+\.\d+\.\d+"));
    }

    [Test]
    public void BenchRunsOnnxRuntimeOnTheBuiltInModels()
    {
        using var folder = new TempFolder();
        string path = folder.File("bench.json");

        var r = CliRunner.Run("bench", "--devices", "onnxruntime", "--models-only", "--budget", "0.001", "--threads", "1", "--json", path);

        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("onnxruntime: ONNX Runtime 1.31.1, CPU execution provider, ORT_ENABLE_ALL, 1 intra-op thread,"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var rows = doc.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.That(rows.Select(m => m.GetProperty("model").GetString()), Is.EqualTo(new[] { "lenet5", "convnet" }));
        foreach (var m in rows)
        {
            Assert.That(m.GetProperty("device").GetString(), Is.EqualTo("onnxruntime"));
            Assert.That(m.GetProperty("train_images_per_second").ValueKind, Is.EqualTo(JsonValueKind.Null), "ONNX Runtime only infers");
            Assert.That(m.GetProperty("infer_batch1_ms").GetDouble(), Is.GreaterThan(0));
            Assert.That(m.GetProperty("infer_batch256_images_per_second").GetDouble(), Is.GreaterThan(0));
            Assert.That(m.GetProperty("max_abs_difference").GetDouble(), Is.LessThan(1e-5), "it computed what the cpu device computes");
        }
    }
}
