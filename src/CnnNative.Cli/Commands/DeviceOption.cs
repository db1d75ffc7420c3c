using System.CommandLine;
using CnnNative.Cli.Options;
using CnnNative.Devices;

namespace CnnNative.Cli.Commands;

/// <summary>The --device and --threads options every command that computes shares.</summary>
internal static class DeviceOption
{
    private const string Help = "compute device: reference, cpu, native, opencl, opencl:N, opencl:NAME, auto";

    /// <summary>--device NAME, with the device names as its completions.</summary>
    public static Option<string> Create(string defaultName)
    {
        var option = CliOptions.Text("--device", "NAME", $"{Help} (default {defaultName})");
        option.CompletionSources.Add("reference", "cpu", "native", "opencl", "auto");
        return option;
    }

    /// <summary>--threads N.</summary>
    public static Option<int?> Threads(int max = int.MaxValue) => CliOptions.Int("--threads", "N", "threads for the host devices (0 = all cores)", min: 0, max: max);

    /// <summary>Opens the device; an unknown or absent one throws DeviceNotFoundException listing the known names.</summary>
    public static IDevice Open(string name, int threads, CliContext ctx) => Device.Create(name, threads, ctx.LoggerFactory);
}
