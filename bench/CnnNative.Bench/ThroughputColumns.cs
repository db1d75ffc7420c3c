using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using CnnNative.Diagnostics;

namespace CnnNative.Bench;

/// <summary>A benchmark class that knows how much work one invocation does.</summary>
public interface IWork
{
    /// <summary>FLOPs of one invocation for the given parameter values (0 when not compute-bound).</summary>
    double Flops(BenchmarkCase benchmarkCase);
}

/// <summary>GFLOP/s and percent of the FMA peak (measured once per process, all cores) beside BenchmarkDotNet's mean.</summary>
public sealed class ThroughputColumn(bool percentOfPeak) : IColumn
{
    private static readonly Lazy<FmaPeakReading> Peaks = new(() => FmaPeak.MeasureWidths(0, 0.5));
    private static readonly Lazy<double> Peak = new(() => Peaks.Value.WidestGflops);

    public string Id => percentOfPeak ? "PercentOfPeak" : "GFLOPs";
    public string ColumnName => percentOfPeak ? "% of peak" : "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => percentOfPeak ? 1 : 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => percentOfPeak ? $"GFLOP/s as a share of the measured FMA peak of the widest vectors ({Peak.Value:F0} GFLOP/s, {Peaks.Value.WidestWidth}; Vector256 {Peaks.Value.Vector256Gflops:F0})" : "2·N·K·C·R·S·P·Q (conv) or 2·m·n·k (GEMM) per second";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null) return "-";
        if (Activator.CreateInstance(benchmarkCase.Descriptor.Type) is not IWork work) return "-";
        double flops = work.Flops(benchmarkCase);
        if (flops <= 0) return "-";
        double gflops = flops / report.ResultStatistics.Mean; // FLOP per ns = GFLOP/s
        return percentOfPeak ? $"{gflops / Peak.Value * 100:F1}" : $"{gflops:F1}";
    }
}
