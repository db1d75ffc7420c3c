using System.Diagnostics;

namespace CnnNative.Tests.Cli;

/// <summary>`dotnet cnn.dll ARGS` as a child process, its output collected as it comes.</summary>
internal sealed class CliProcess
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _out = new(), _err = new();

    private CliProcess(Process process) => _process = process;

    public static CliProcess Start(IEnumerable<string> args)
    {
        // The test host runs under the dotnet host; cnn.dll sits beside the test assembly.
        string dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p
                      : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cnn.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (cli._out) cli._out.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (cli._err) cli._err.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Out
    {
        get { lock (_out) return _out.ToString(); }
    }

    /// <summary>Polls for <paramref name="path"/> every few milliseconds; false when the process ends or time runs out first.</summary>
    public bool WaitForFile(string path, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (File.Exists(path)) return true;
            if (_process.HasExited) return File.Exists(path);
            Thread.Sleep(5);
        }
        return false;
    }

    /// <summary>SIGKILL: no handler runs, nothing is flushed.</summary>
    public void Kill() => _process.Kill();

    public void WaitForExit()
    {
        if (!_process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"cnn did not finish in 5 minutes\n{this}");
        }
        _process.WaitForExit(); // drains the asynchronous output readers
    }

    public override string ToString()
    {
        lock (_out) lock (_err) return $"--- stdout\n{_out}\n--- stderr\n{_err}";
    }
}
