namespace CnnNative.Cli.Options;

/// <summary>
/// The command line itself is wrong (unknown option, missing or invalid value, options that exclude each other).
/// Program turns it into one "cnn: ..." line and exit code 2, so that scripts can tell a typo from a failed run
/// (exit code 1). The parser's own findings take the same way (<see cref="UsageErrors"/>); commands throw this for
/// what only they can check.
/// </summary>
public sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);
