using System.Globalization;
using System.CommandLine;
using CnnNative.Devices;
using Spectre.Console;

namespace CnnNative.Cli.Commands;

/// <summary>
/// `cnn devices`: tries to open every device by name and shows what each one is; the ones that cannot be opened
/// here are listed with the reason, because "why is there no GPU" is the usual question.
/// </summary>
public static class DevicesCommand
{
    /// <summary>The host devices, then one "opencl:N" per OpenCL device found (or plain "opencl" to report why there is none).</summary>
    internal static IEnumerable<string> Candidates()
    {
        string[] host = ["reference", "cpu", "native"];
        int openCl;
        try { openCl = CnnNative.Devices.OpenCL.OpenClDevice.Enumerate().Count; }
        catch (Exception e) when (e is DeviceNotFoundException or DllNotFoundException or TypeInitializationException) { openCl = 0; }
        return openCl == 0 ? [.. host, "opencl"] : [.. host, .. Enumerable.Range(0, openCl).Select(i => $"opencl:{i}")];
    }

    private static readonly Option<int?> Threads = DeviceOption.Threads();

    /// <summary>The command's name, description and options.</summary>
    internal static Command Definition { get; } = new("devices", "Lists the compute devices this machine can open, and why the others cannot be.") { Threads };

    /// <summary>Runs `cnn devices`.</summary>
    public static int Run(ParseResult a, CliContext ctx)
    {
        int threads = a.GetValue(Threads) ?? 0;
        var table = new Table().AddColumns("name", "kind", "description")
            .AddColumn(new TableColumn("compute units").RightAligned()).AddColumn(new TableColumn("memory").RightAligned())
            .AddColumn("details");
        var unavailable = new List<(string Name, string Reason)>();
        foreach (var name in Candidates())
        {
            try
            {
                using var device = Device.Create(name, threads, ctx.LoggerFactory);
                var info = device.Info;
                table.AddRow(Markup.Escape(info.Name), Markup.Escape(info.Kind), Markup.Escape(info.Description),
                             info.ComputeUnits.ToString(CultureInfo.InvariantCulture), Memory(info.MemoryBytes),
                             Markup.Escape(string.Join("\n", info.Details.Select(d => $"{d.Key}: {d.Value}"))));
            }
            // Any failure to open one device must not hide the others; the reason is what the user needs.
            catch (Exception e) when (e is DeviceNotFoundException or DllNotFoundException or EntryPointNotFoundException
                                          or PlatformNotSupportedException or InvalidOperationException or TypeInitializationException)
            {
                unavailable.Add((name, Program.OneLine(e.Message)));
            }
        }
        ctx.Console.Write(table);
        if (unavailable.Count > 0)
        {
            ctx.Out.WriteLine("not available here:");
            foreach (var (name, reason) in unavailable) ctx.Out.WriteLine($"  {name}: {reason}");
        }
        return Program.Ok;
    }

    private static string Memory(long bytes) => bytes <= 0 ? "host"
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):F1} GiB");
}
