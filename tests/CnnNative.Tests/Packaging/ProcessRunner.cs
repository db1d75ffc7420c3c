using System.Diagnostics;
using System.Text;

namespace CnnNative.Tests.Packaging;

/// <summary>The exit code and the interleaved output of a finished process.</summary>
internal sealed record ProcessResult(string Command, int ExitCode, string Output)
{
    public override string ToString() => $"{Command}\nexit {ExitCode}\n{Output}";
}

/// <summary>Runs a program to the end (killing it and its children past a time limit) and captures its output.</summary>
internal static class ProcessRunner
{
    public static ProcessResult Run(string program, IEnumerable<string> arguments, string workingDirectory, TimeSpan limit)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        // `dotnet test` runs us with MSBuild's variables set for its own build; a nested dotnet must find its own.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output) output.AppendLine($"(killed after {limit.TotalSeconds:F0} s)");
            return new ProcessResult($"{program} {string.Join(' ', arguments)}", -1, output.ToString());
        }
        process.WaitForExit(); // drains the output events
        lock (output) return new ProcessResult($"{program} {string.Join(' ', arguments)}", process.ExitCode, output.ToString());
    }
}
