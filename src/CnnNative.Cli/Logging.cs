using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace CnnNative.Cli;

/// <summary>
/// The console logger the library's ILogger calls go to: one line per message on stderr (stdout stays for
/// results), Warning and above by default, everything from Debug up with --verbose.
/// </summary>
internal static class Logging
{
    public static ILoggerFactory Create(bool verbose) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = verbose ? "HH:mm:ss.fff " : null;
        })
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
}
