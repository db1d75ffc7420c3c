namespace CnnNative.Cli.Options;

/// <summary>
/// The command line itself is wrong (unknown option, missing or invalid value). Program turns it into one
/// "cnn: ..." line and exit code 2, so that scripts can tell a typo from a failed run (exit code 1).
/// </summary>
public sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// "--help" or "-h" was given: not an error, but parsing stops there. Program prints <see cref="Usage"/> to
/// stdout and exits 0. Thrown by <see cref="ArgParser.Parse"/> so that every command gets help for free.
/// </summary>
public sealed class HelpRequestedException(string usage) : Exception("help requested")
{
    public string Usage { get; } = usage;
}
