using System.Globalization;
using System.Text.Json;
using CnnNative.Cli.Options;
using CnnNative.Diagnostics;
using Spectre.Console;

namespace CnnNative.Cli.Commands;

/// <summary>
/// `cnn bench`: the op-by-op and end-to-end comparison of the devices on this machine, with GFLOP/s and the
/// share of the FMA peak measured in the same run. Quick (seconds per device), unlike the BenchmarkDotNet suite
/// (`build.ps1 bench`), which is the careful one.
/// </summary>
public static class BenchCommand
{
    internal static ArgParser Parser { get; } = new ArgParser("bench",
            "Times every device op on the benchmark shapes and the built-in models' training and inference.")
        .Option("devices", "LIST", "comma-separated devices (default cpu,native,opencl; ones this machine lacks are listed as skipped)")
        .Option("threads", "N", "threads for the host devices (default 0 = all cores)")
        .Option("budget", "SECONDS", "time spent repeating each measurement (default 0.25)")
        .Option("json", "FILE", "also write the results as JSON")
        .Flag("ops-only", "skip the model (training and inference) measurements")
        .Flag("models-only", "skip the op measurements");

    public static int Run(string[] args, CliContext ctx)
    {
        var a = Parser.Parse(args);
        var devices = a.String("devices", "cpu,native,opencl").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int threads = a.Int("threads", 0, min: 0, max: 1024);
        float budget = a.Float("budget", 0.25f, above: 0);
        if (a.Flag("ops-only") && a.Flag("models-only")) throw new UsageException("--ops-only and --models-only exclude each other");

        var suite = new BenchSuite(threads, budget, step => { if (ctx.Verbose || !ctx.Interactive) ctx.Error.WriteLine($"bench: {step}"); });
        var report = suite.Run(devices, ops: !a.Flag("models-only"), models: !a.Flag("ops-only"));

        ctx.Out.WriteLine($"{report.Machine}; {report.Threads} threads; FMA peak {report.PeakGflops:F0} GFLOP/s (measured now)");
        if (report.Ops.Count > 0)
        {
            var table = new Table().AddColumns("op", "shape", "device", "ms", "GFLOP/s", "% of peak", "GB/s");
            foreach (var r in report.Ops)
                table.AddRow(r.Op, r.Shape, r.Device, F(r.Milliseconds, 3), F(r.Gflops, 1), F(r.PercentOfPeak, 1), F(r.Gbps, 2));
            ctx.Console.Write(table);
        }
        if (report.Models.Count > 0)
        {
            var table = new Table().AddColumns("model", "device", "train images/s (batch 64)", "inference batch 1 (ms)", "inference batch 256 (images/s)");
            foreach (var m in report.Models)
                table.AddRow(m.Model, m.Device, F(m.TrainImagesPerSecond, 0), F(m.InferBatch1Ms, 3), F(m.InferBatch256ImagesPerSecond, 0));
            ctx.Console.Write(table);
        }
        foreach (var s in report.Skipped) ctx.Out.WriteLine($"skipped {s}");

        if (a.String("json") is { } path)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(report, new JsonSerializerOptions { WriteIndented = true });
            Pictures.PictureFile.WriteAtomic(path, json);
            ctx.Out.WriteLine($"wrote {path}");
        }
        return Program.Ok;
    }

    private static string F(double? value, int decimals)
        => value is null ? "-" : value.Value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
