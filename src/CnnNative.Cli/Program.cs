using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using System.Text;
using CnnNative.Cli.Commands;
using CnnNative.Cli.Options;
using Spectre.Console;

namespace CnnNative.Cli;

/// <summary>
/// The `cnn` command: System.CommandLine reads the arguments (<see cref="CnnCommandLine"/>), then the subcommand runs
/// here, and every failure becomes one "cnn: message" line on stderr with exit code 2 (the command line is wrong)
/// or 1 (the run failed). Stack traces only with --verbose: a user who mistyped a path needs the path, not forty
/// frames of the data loader.
/// </summary>
public static class Program
{
    public const int Ok = 0, Failure = 1, UsageError = 2;

    /// <summary>
    /// Every command. Adding one is one line here plus its file in Commands/ (its options and its run).
    /// </summary>
    public static IReadOnlyList<CommandInfo> Commands { get; } =
    [
        new(TrainCommand.Definition, TrainCommand.Run),
        new(EvaluateCommand.Definition, EvaluateCommand.Run),
        new(PredictCommand.Definition, PredictCommand.Run),
        new(SummaryCommand.Definition, SummaryCommand.Run),
        new(DevicesCommand.Definition, DevicesCommand.Run),
        new(FiltersCommand.Definition, FiltersCommand.Run),
        new(BenchCommand.Definition, BenchCommand.Run),
        new(ExportCommand.Definition, ExportCommand.Run),
        new(ImportCommand.Definition, ImportCommand.Run),
    ];

    public static int Main(string[] args)
    {
        Console.OutputEncoding = Encoding.UTF8;
        using var cancel = new CancellationTokenSource();
        // First Ctrl+C asks the training loop to stop between batches; a second one kills the process as usual.
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };
        bool interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        return Run(args, Console.Out, Console.Error, interactive, cancel.Token);
    }

    /// <summary>Runs the CLI in-process with its output captured (tests); never a live progress bar.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        => Run(args, stdout, stderr, interactive: false, CancellationToken.None);

    private static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactive, CancellationToken cancellation)
    {
        if (args.Length == 0)
        {
            CnnCommandLine.WriteHelp(CnnCommandLine.Root, stderr);
            return UsageError;
        }
        var parse = CnnCommandLine.Root.Parse(args, CnnCommandLine.Parser);
        // --verbose is global: it may appear anywhere, and it decides how errors below are reported.
        bool verbose = parse.GetResult(CnnCommandLine.Verbose) is { Implicit: false };

        // --help, --version and the [suggest] directive are System.CommandLine's own actions.
        if (parse.Action is not (null or ParseErrorAction))
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        var definition = parse.CommandResult.Command;
        if (UsageErrors.Describe(parse, args) is { } problem)
        {
            string see = definition is RootCommand || definition == CnnCommandLine.Help ? "" : $" (see cnn {definition.Name} --help)";
            stderr.WriteLine($"cnn: {OneLine(problem)}{see}");
            return UsageError;
        }
        if (definition == CnnCommandLine.Help) return WriteHelp(parse, stdout, stderr);
        var command = Commands.Single(c => c.Definition == definition);

        using var loggerFactory = Logging.Create(verbose);
        var console = CreateConsole(stdout, interactive);
        var ctx = new CliContext(stdout, stderr, console, loggerFactory, verbose, interactive, cancellation);
        try
        {
            return command.Run(parse, ctx);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"cnn: {OneLine(e.Message)} (see cnn {command.Name} --help)");
            if (verbose) stderr.WriteLine(e);
            return UsageError;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("cnn: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"cnn: {OneLine(e.Message)}");
            if (verbose) stderr.WriteLine(e);
            return Failure;
        }
    }

    /// <summary>`cnn help [COMMAND]`.</summary>
    private static int WriteHelp(ParseResult parse, TextWriter stdout, TextWriter stderr)
    {
        if (CnnCommandLine.HelpTarget(parse) is not { } target)
        {
            stderr.WriteLine($"cnn: unknown command '{parse.GetValue(CnnCommandLine.HelpTopic)}'; commands: {string.Join(", ", Commands.Select(c => c.Name))}");
            return UsageError;
        }
        CnnCommandLine.WriteHelp(target, stdout);
        return Ok;
    }

    /// <summary>The package version, e.g. "0.1.0" (with "+commit" when built from a git checkout).</summary>
    public static string Version { get; } =
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>
    /// Errors are one line. Some library messages span lines (a model spec with a caret under the bad token);
    /// the caret line means nothing once joined, and the token is already named in the first line.
    /// </summary>
    internal static string OneLine(string message)
        => string.Join(" ", message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                                   .Where(line => line.Trim('^', ' ').Length > 0));

    private static IAnsiConsole CreateConsole(TextWriter stdout, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        // Redirected output has no width to detect; 80 columns would wrap a 10-class confusion matrix.
        if (!interactive) console.Profile.Width = 160;
        return console;
    }
}
