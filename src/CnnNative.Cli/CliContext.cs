using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace CnnNative.Cli;

/// <summary>
/// What every command gets besides its arguments: where to write (so tests can capture it), a Spectre console
/// on that writer for tables and progress bars, the logger factory for the library, and whether --verbose is on.
/// </summary>
public sealed class CliContext
{
    public CliContext(TextWriter stdout, TextWriter stderr, IAnsiConsole console, ILoggerFactory loggerFactory,
                      bool verbose, bool interactive, CancellationToken cancellation = default)
    {
        Out = stdout;
        Error = stderr;
        Console = console;
        LoggerFactory = loggerFactory;
        Verbose = verbose;
        Interactive = interactive;
        Cancellation = cancellation;
    }

    /// <summary>Results: plain lines that scripts may read.</summary>
    public TextWriter Out { get; }

    /// <summary>Errors and warnings.</summary>
    public TextWriter Error { get; }

    /// <summary>Spectre console writing to <see cref="Out"/> (tables; progress bars when <see cref="Interactive"/>).</summary>
    public IAnsiConsole Console { get; }

    public ILoggerFactory LoggerFactory { get; }

    public bool Verbose { get; }

    /// <summary>
    /// Whether <see cref="Out"/> is a terminal that can redraw a live progress bar. In CI logs and pipes a
    /// redrawing bar turns into thousands of lines, so commands print one plain line per step instead.
    /// </summary>
    public bool Interactive { get; }

    /// <summary>Cancelled on Ctrl+C, so that long loops stop between batches.</summary>
    public CancellationToken Cancellation { get; }
}
