using System.Text.Json;

namespace CnnNative.Tests.Cli;

public class CliBenchTests
{
    /// <summary>`cnn bench ARGS --json FILE` into a temporary file: the run (asserted successful) and the JSON it wrote.</summary>
    private static (CliResult Run, JsonDocument Json) BenchWithJson(params string[] args)
    {
        string path = Path.Combine(Path.GetTempPath(), $"cnn-bench-{Guid.NewGuid():N}.json");
        try
        {
            var r = CliRunner.Run(["bench", .. args, "--json", path]);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
            return (r, JsonDocument.Parse(File.ReadAllBytes(path)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void BenchMeasuresEveryOpAndWritesTheDocumentedJson()
    {
        var (r, doc) = BenchWithJson("--devices", "native,nosuch", "--ops-only", "--budget", "0.001");
        using (doc)
        {
            Assert.That(r.Out, Does.Contain("conv2d_forward").And.Contain("% of peak").And.Contain("skipped nosuch"));

            var root = doc.RootElement;
            Assert.That(root.GetProperty("peak_gflops").GetDouble(), Is.GreaterThan(0));
            // The widest width's peak is the one every percentage divides by; both widths, the model and the ISA are named.
            double v256 = root.GetProperty("peak_gflops_vector256").GetDouble();
            var v512 = root.GetProperty("peak_gflops_vector512");
            double widest = v512.ValueKind == JsonValueKind.Null ? v256 : Math.Max(v256, v512.GetDouble());
            Assert.That(root.GetProperty("peak_gflops").GetDouble(), Is.EqualTo(widest));
            Assert.That(v512.ValueKind, Is.EqualTo(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? JsonValueKind.Number : JsonValueKind.Null));
            Assert.That(root.GetProperty("cpu_model").GetString(), Is.Not.Empty);
            Assert.That(root.GetProperty("isa").GetString(), Does.Contain("Vector"));
            Assert.That(r.Out, Does.Contain("cpu device ISA:"));
            var ops = root.GetProperty("ops").EnumerateArray().ToList();
            Assert.That(ops.Count(o => o.GetProperty("op").GetString()!.StartsWith("conv2d_")), Is.EqualTo(12));
            Assert.That(ops.Where(o => o.GetProperty("op").GetString()!.StartsWith("batch_norm_")).Select(o => o.GetProperty("gbps").GetDouble()),
                        Has.Exactly(3).GreaterThan(0));
            var first = ops[0];
            Assert.That(first.GetProperty("shape").GetString(), Is.EqualTo("N=64,C=1,H=28,W=28,K=32,R=5,S=5,pad=2,stride=1"));
            Assert.That(first.GetProperty("device").GetString(), Is.EqualTo("native"));
            Assert.That(first.GetProperty("gflops").GetDouble(), Is.GreaterThan(0));
            Assert.That(first.GetProperty("percent_of_peak").GetDouble(), Is.GreaterThan(0));
        }
    }

    [Test]
    public void TheCpuDeviceNamesEachConvolutionsAlgorithm()
    {
        var (r, doc) = BenchWithJson("--devices", "cpu,native", "--ops-only", "--budget", "0.001");
        using (doc)
        {
            Assert.That(r.Out, Does.Contain("algorithm").And.Contain("winograd").And.Contain("above 100 % of peak"));
            var convs = doc.RootElement.GetProperty("ops").EnumerateArray().Where(o => o.GetProperty("op").GetString()!.StartsWith("conv2d_")).ToList();
            string? Algorithm(string device, string op, string shapeStart)
                => convs.Single(o => o.GetProperty("device").GetString() == device && o.GetProperty("op").GetString() == op
                                     && o.GetProperty("shape").GetString()!.StartsWith(shapeStart)).GetProperty("algorithm").GetString();
            Assert.That(Algorithm("cpu", "conv2d_forward", "N=64,C=1,"), Is.EqualTo("direct"), "one channel: no Winograd");
            foreach (var op in new[] { "conv2d_forward", "conv2d_backward_data", "conv2d_backward_filter" })
                Assert.That(Algorithm("cpu", op, "N=64,C=32,"), Is.EqualTo("winograd"), op);
            Assert.That(Algorithm("native", "conv2d_forward", "N=64,C=32,"), Is.Null, "only the cpu device names its algorithm");
        }
    }

    [Test]
    public void OpsOnlyAndModelsOnlyExcludeEachOther()
    {
        var r = CliRunner.Run("bench", "--ops-only", "--models-only");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Error, Does.Contain("--ops-only"));
    }

    [Test]
    public void ProfileShowsEachLayersShareOfATrainingStep()
    {
        var r = CliRunner.Run("bench", "--profile", "lenet5", "--devices", "cpu", "--batch", "4", "--budget", "0.001", "--threads", "1");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("lenet5 on cpu, batch 4").And.Contain("% of step").And.Contain("conv2d_2")
                               .And.Contain("optimizer").And.Contain("whole step (median)"));
    }

    [Test]
    public void ProfileOfAnUnknownModelIsAUsageError()
    {
        var r = CliRunner.Run("bench", "--profile", "nosuchnet", "--devices", "cpu");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain("invalid value for --profile").And.Contain("nosuchnet"));
    }

    [Test]
    public void ModelsNamesTheModelsToMeasureOnTheDevicesAndOnnxRuntime()
    {
        // A spec with batch norm (folded into its convolution in inference): ONNX Runtime runs the exported graph and
        // must agree with the cpu device's inference.
        const string spec = "conv4k3ps-bn-relu-maxpool2-flatten-dense10";
        var (r, doc) = BenchWithJson("--devices", "cpu,onnxruntime", "--models-only", "--models", $"lenet5, {spec}", "--budget", "0.001", "--threads", "1");
        using (doc)
        {
            var rows = doc.RootElement.GetProperty("models").EnumerateArray()
                          .Select(m => (Model: m.GetProperty("model").GetString(), Device: m.GetProperty("device").GetString(), Row: m)).ToList();
            Assert.That(rows.Select(m => (m.Model, m.Device)),
                        Is.EqualTo(new[] { ("lenet5", "cpu"), (spec, "cpu"), ("lenet5", "onnxruntime"), (spec, "onnxruntime") }), r.ToString());
            Assert.That(rows[1].Row.GetProperty("train_images_per_second").GetDouble(), Is.GreaterThan(0));
            Assert.That(rows[3].Row.GetProperty("max_abs_difference").GetDouble(), Is.LessThan(1e-5));
        }
    }

    [TestCase("nosuchnet", "nosuchnet")]
    [TestCase("conv4k3-flatten-dense5", "10 classes")]
    [TestCase("conv4k3-maxpool2-maxpool2-maxpool2-maxpool2-maxpool2-flatten-dense10", "does not fit 1×28×28")]
    [TestCase(",", "names no model")]
    public void ABadModelListIsAUsageErrorBeforeAnyMeasurement(string models, string message)
    {
        var r = CliRunner.Run("bench", "--models", models, "--devices", "cpu");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain("--models").And.Contain(message));
        Assert.That(r.Error, Does.Not.Contain("bench: measuring"), "nothing was measured");
    }
}
