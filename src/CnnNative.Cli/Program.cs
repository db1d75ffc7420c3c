using System.Reflection;
using System.Text;
using CnnNative.Cli.Commands;
using CnnNative.Cli.Options;
using Spectre.Console;

namespace CnnNative.Cli;

/// <summary>
/// The `cnn` command: picks the subcommand and turns every failure into one "cnn: message" line on stderr with
/// exit code 2 (the command line is wrong) or 1 (the run failed). Stack traces only with --verbose: a user who
/// mistyped a path needs the path, not forty frames of the data loader.
/// </summary>
public static class Program
{
    public const int Ok = 0, Failure = 1, UsageError = 2;

    /// <summary>
    /// Every command. Adding one is one line here plus its file in Commands/.
    /// </summary>
    public static IReadOnlyList<CommandInfo> Commands { get; } =
    [
        new("train", "train a model on MNIST-format data and save it", TrainCommand.Run),
        new("evaluate", "accuracy, per-class accuracy and confusion matrix of a saved model", EvaluateCommand.Run),
        new("predict", "classify an IDX images file or a PNG/PGM picture", PredictCommand.Run),
        new("summary", "layers, output shapes and parameter counts of a model", SummaryCommand.Run),
        new("devices", "the compute devices this machine can open", DevicesCommand.Run),
        new("filters", "picture of the first layer's filters (and feature maps of an image)", FiltersCommand.Run),
        new("bench", "time every op and the built-in models on each device (GFLOP/s, % of peak)", BenchCommand.Run),
        new("export", "write a saved model as an ONNX file", ExportCommand.Run),
        new("import", "read an ONNX model and save it as a model file", ImportCommand.Run),
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
        // --verbose is global: it may appear anywhere, and it decides how errors below are reported.
        bool verbose = args.Any(a => a is "--verbose" or "-v");
        args = args.Where(a => a is not ("--verbose" or "-v")).ToArray();

        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).Write(Usage());
            return args.Length == 0 ? UsageError : Ok;
        }
        if (args[0] is "--version")
        {
            stdout.WriteLine($"cnn {Version}");
            return Ok;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            stderr.WriteLine($"cnn: unknown command '{args[0]}'; commands: {string.Join(", ", Commands.Select(c => c.Name))} (cnn --help)");
            return UsageError;
        }

        using var loggerFactory = Logging.Create(verbose);
        var console = CreateConsole(stdout, interactive);
        var ctx = new CliContext(stdout, stderr, console, loggerFactory, verbose, interactive, cancellation);
        try
        {
            return command.Run(args[1..], ctx);
        }
        catch (HelpRequestedException help)
        {
            stdout.Write(help.Usage);
            return Ok;
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

    /// <summary>The package version, e.g. "0.1.0" (with "+commit" when built from a git checkout).</summary>
    public static string Version { get; } =
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>"cnn --help": the commands and the global options.</summary>
    public static string Usage()
    {
        var sb = new StringBuilder();
        sb.AppendLine("usage: cnn COMMAND [options]");
        sb.AppendLine();
        sb.AppendLine("Convolutional neural networks on the CPU, native code or OpenCL (CnnNative).");
        sb.AppendLine();
        sb.AppendLine("commands:");
        int width = Commands.Max(c => c.Name.Length) + 2;
        foreach (var c in Commands) sb.Append("  ").Append(c.Name.PadRight(width)).AppendLine(c.Summary);
        sb.AppendLine();
        sb.AppendLine("global options:");
        sb.AppendLine("  --verbose, -v  debug logging, and stack traces on errors");
        sb.AppendLine("  -h, --help     this text; 'cnn COMMAND --help' for a command's options");
        sb.AppendLine("  --version      the version of cnn (the CnnNative.Cli package)");
        sb.AppendLine();
        sb.AppendLine("exit codes: 0 success, 1 the run failed, 2 the command line is wrong");
        return sb.ToString();
    }

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
