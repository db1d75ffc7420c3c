using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace CnnNative.Bench;

public static class Program
{
    /// <summary>Runs the suite; pass BenchmarkDotNet arguments (e.g. --filter '*Convolution*').</summary>
    public static void Main(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddColumn(new ThroughputColumn(percentOfPeak: false), new ThroughputColumn(percentOfPeak: true));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Length > 0 ? args : ["--filter", "*"], config);
    }
}
