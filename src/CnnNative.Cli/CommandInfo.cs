namespace CnnNative.Cli;

/// <summary>One entry of the command table: the word after "cnn", a line for "cnn --help", and what runs it.</summary>
/// <param name="Run">Takes the arguments after the command name; returns the exit code.</param>
public sealed record CommandInfo(string Name, string Summary, Func<string[], CliContext, int> Run);
