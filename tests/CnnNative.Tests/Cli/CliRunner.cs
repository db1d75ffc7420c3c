using CnnNative.Cli;

namespace CnnNative.Tests.Cli;

/// <summary>The output of one in-process `cnn` run.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Runs `cnn` through <see cref="Program.Run(string[], TextWriter, TextWriter)"/> with its output captured.</summary>
internal static class CliRunner
{
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
