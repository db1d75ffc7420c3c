using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CnnNative.Cli.Bench;
using CnnNative.Cli.Options;
using CnnNative.Cli.Output;
using CnnNative.Diagnostics;
using CnnNative.Serialization;
using Spectre.Console;

namespace CnnNative.Cli.Commands;

/// <summary>
/// `cnn bench`: the op-by-op and end-to-end comparison of the devices on this machine, with GFLOP/s and the
/// share of the FMA peak measured in the same run. Quick (seconds per device), unlike the BenchmarkDotNet suite
/// (`build.ps1 bench`), which is the careful one.
/// </summary>
public static class BenchCommand
{
    private static readonly Option<string> DeviceList = CliOptions.Text("--devices", "LIST",
        "comma-separated devices (default cpu,native,opencl,onnxruntime, or cpu with --profile; ones this machine lacks are listed as skipped); " +
        "onnxruntime is ONNX Runtime's CPU execution provider on the exported built-in models, inference only");
    private static readonly Option<int?> Threads = CliOptions.Int("--threads", "N", "threads for the host devices (default 0 = all cores)", min: 0, max: 1024);
    private static readonly Option<float?> Budget = CliOptions.Number("--budget", "SECONDS",
        "time spent repeating each measurement (default 0.25; --profile warms up and times whole steps for 4 × this)", above: 0f);
    private static readonly Option<string> Json = CliOptions.Text("--json", "FILE", "also write the results as JSON");
    private static readonly Option<string> ProfileModel = CliOptions.Text("--profile", "MODEL",
        "instead: where one training step of MODEL (a built-in name or spec) spends its time, layer by layer");
    private static readonly Option<int?> Batch = CliOptions.Int("--batch", "N", "batch size of the --profile step (default 64)", min: 1, max: 4096);
    private static readonly Option<bool> OpsOnly = CliOptions.Flag("--ops-only", "skip the model (training and inference) measurements");
    private static readonly Option<bool> ModelsOnly = CliOptions.Flag("--models-only", "skip the op measurements");
    private static readonly Option<string> Models = CliOptions.Text("--models", "LIST",
        "comma-separated models to train and run (built-in names or specs on 1×28×28 images, 10 classes; default lenet5,convnet)");

    /// <summary>The command's name, description and options.</summary>
    internal static Command Definition { get; } = new("bench", "Times every device op on the benchmark shapes and the built-in models' training and inference.")
    {
        DeviceList, Threads, Budget, Json, ProfileModel, Batch, OpsOnly, ModelsOnly, Models,
    };

    /// <summary>Runs `cnn bench`.</summary>
    public static int Run(ParseResult a, CliContext ctx)
    {
        var devices = (a.GetValue(DeviceList) ?? $"cpu,native,opencl,{OnnxRuntimeEngine.EngineName}").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int threads = a.GetValue(Threads) ?? 0;
        float budget = a.GetValue(Budget) ?? 0.25f;
        if (a.GetValue(OpsOnly) && a.GetValue(ModelsOnly)) throw new UsageException("--ops-only and --models-only exclude each other");
        if (a.GetValue(Json) is { } jsonPath) OutputPath.Prepare(jsonPath, "--json", createFolder: true);
        if (a.GetValue(ProfileModel) is { } profiled) // on the cpu device unless --devices says otherwise
            return Profile(ctx, profiled, a.GetValue(DeviceList) is null ? ["cpu"] : devices, threads, a.GetValue(Batch) ?? 64, 4 * budget);

        string[]? models = a.GetValue(Models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (models is { Length: 0 }) throw new UsageException("--models names no model");
        foreach (var m in models ?? []) CheckBenchModel(m);
        var suite = new BenchSuite(threads, budget, step => { if (ctx.Verbose || !ctx.Interactive) ctx.Error.WriteLine($"bench: {step}"); },
                                   [new OnnxRuntimeEngine()]);
        var report = suite.Run(devices, ops: !a.GetValue(ModelsOnly), models: !a.GetValue(OpsOnly), modelNames: models);

        ctx.Out.WriteLine($"{report.Machine}; {Counts.Of(report.Threads, "thread")}; FMA peak {report.PeakGflops:F0} GFLOP/s (measured now: " +
                          $"Vector256 {report.PeakGflopsVector256:F0}, Vector512 {(report.PeakGflopsVector512 is { } p512 ? p512.ToString("F0", CultureInfo.InvariantCulture) : "not in hardware")})");
        ctx.Out.WriteLine($"cpu: {report.CpuModel}; cpu device ISA: {report.Isa}");
        if (report.Ops.Count > 0)
        {
            var table = new Table().AddColumns("op", "shape", "device", "ms", "GFLOP/s", "% of peak", "GB/s", "algorithm");
            foreach (var r in report.Ops)
                table.AddRow(r.Op, r.Shape, r.Device, F(r.Milliseconds, 3), F(r.Gflops, 1), F(r.PercentOfPeak, 1), F(r.Gbps, 2), r.Algorithm ?? "-");
            ctx.Console.Write(table);
            if (report.Ops.Any(r => r.Algorithm == "winograd"))
                ctx.Out.WriteLine("GFLOP/s count a convolution's direct multiply-adds (2·N·K·C·R·S·P·Q); the winograd algorithm does 2.8× (5×5) " +
                                  "or 4× (3×3) fewer, so it can read above 100 % of peak.");
        }
        if (report.Models.Count > 0)
        {
            var table = new Table().AddColumns("model", "device", "train images/s (batch 64)", "inference batch 1 (ms)", "inference batch 256 (images/s)",
                                               "max |output - cpu's|");
            foreach (var m in report.Models)
                table.AddRow(m.Model, m.Device, F(m.TrainImagesPerSecond, 0), F(m.InferBatch1Ms, 3), F(m.InferBatch256ImagesPerSecond, 0),
                             m.MaxAbsDifference is { } d ? d.ToString("0.0E+0", CultureInfo.InvariantCulture) : "-");
            ctx.Console.Write(table);
            if (report.Models.Any(m => m.Device == OnnxRuntimeEngine.EngineName))
                ctx.Out.WriteLine($"onnxruntime: ONNX Runtime {OnnxRuntimeEngine.Version}, CPU execution provider, ORT_ENABLE_ALL, {Counts.Of(report.Threads, "intra-op thread")}, " +
                                  "on the exported models (same weights and images as the devices)");
        }
        foreach (var s in report.Skipped) ctx.Out.WriteLine($"skipped {s}");

        if (a.GetValue(Json) is { } path)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(report, new JsonSerializerOptions { WriteIndented = true });
            AtomicFile.Write(path, json, createFolder: true);
            ctx.Out.WriteLine($"wrote {path}");
        }
        return Program.Ok;
    }

    /// <summary>`cnn bench --profile MODEL`: one training step's stages on each device, with their share of the step.</summary>
    private static int Profile(CliContext ctx, string model, string[] devices, int threads, int batch, double seconds)
    {
        TrainCommand.CheckSpec(model, "--profile");
        var rng = new Random(1);
        var images = new float[batch * 28 * 28];
        for (int i = 0; i < images.Length; i++) images[i] = rng.NextSingle();
        var data = Data.Dataset.FromArrays(images, new Tensors.Shape(1, 28, 28), Enumerable.Range(0, batch).Select(i => i % 10).ToArray(), 10);
        foreach (var name in devices)
        {
            using var device = Devices.Device.Create(name, threads);
            using var net = CnnNative.Models.ModelBuilder.Build(model, device, data.InputShape, seed: 1);
            net.Compile(new Training.Adam(), Training.Loss.CategoricalCrossEntropy);
            var stages = StepProfile.Measure(net, data, batch, seconds: seconds);
            double total = stages.Where(s => s.Stage != "step").Sum(s => s.Milliseconds);
            ctx.Out.WriteLine($"{model} on {device.Name}, batch {batch}: {total:F2} ms per step when synchronised after every stage ({batch / total * 1e3:F0} images/s)");
            var table = new Table().AddColumns("stage", "layer", "spec", "ms", "% of step", "GFLOP/s");
            foreach (var s in stages)
                table.AddRow(s.Stage, s.Name, s.Spec, F(s.Milliseconds, 3), s.Stage == "step" ? "" : F(s.Milliseconds / total * 100, 1), F(s.Gflops, 1));
            ctx.Console.Write(table);
        }
        return Program.Ok;
    }

    /// <summary>A --models entry must build on the bench's 1×28×28 images and give their 10 classes.</summary>
    private static void CheckBenchModel(string model)
    {
        TrainCommand.CheckSpec(model, "--models");
        using var reference = Devices.Device.Create("reference");
        try
        {
            using var probe = CnnNative.Models.ModelBuilder.Build(model, reference, new Tensors.Shape(1, 28, 28), seed: 1);
            if (probe.OutputShape.Size != 10)
                throw new UsageException($"invalid value for --models: {model} gives {probe.OutputShape.Size} outputs an image; the bench's images have 10 classes");
        }
        catch (ArgumentException e) { throw new UsageException($"invalid value for --models: {model} does not fit 1×28×28 images: {e.Message}", e); }
    }

    private static string F(double? value, int decimals)
        => value is null ? "-" : value.Value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
