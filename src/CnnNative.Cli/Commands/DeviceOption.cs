using CnnNative.Devices;

namespace CnnNative.Cli.Commands;

/// <summary>The --device and --threads options every command that computes shares.</summary>
internal static class DeviceOption
{
    public const string Help = "compute device: reference, cpu, native, opencl, opencl:N, opencl:NAME, auto";
    public const string ThreadsHelp = "threads for the host devices (0 = all cores)";

    /// <summary>Opens the device; an unknown or absent one throws DeviceNotFoundException listing the known names.</summary>
    public static IDevice Open(string name, int threads, CliContext ctx) => Device.Create(name, threads, ctx.LoggerFactory);
}
