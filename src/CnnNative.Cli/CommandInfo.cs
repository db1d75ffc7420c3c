using System.CommandLine;

namespace CnnNative.Cli;

/// <summary>One entry of the command table: its System.CommandLine definition (name, options, help) and what runs it.</summary>
/// <param name="Definition">The command as the parser knows it.</param>
/// <param name="Run">Takes the parsed command line; returns the exit code.</param>
public sealed record CommandInfo(Command Definition, Func<ParseResult, CliContext, int> Run)
{
    /// <summary>The word after "cnn".</summary>
    public string Name => Definition.Name;

    /// <summary>The line `cnn --help` shows for it.</summary>
    public string? Summary => Definition.Description;
}
