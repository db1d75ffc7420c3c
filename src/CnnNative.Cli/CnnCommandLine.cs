using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using CnnNative.Cli.Options;

namespace CnnNative.Cli;

/// <summary>
/// The `cnn` command tree for System.CommandLine: every command of <see cref="Program.Commands"/>, the global
/// --verbose, --help and --version, the [suggest] directive that dotnet-suggest uses for tab completion, and a hidden
/// `cnn help [COMMAND]`.
/// </summary>
/// <remarks>
/// Built once: System.CommandLine ties each option to its command, and parsing does not change the tree, so one tree
/// serves every run (tests run many in one process). The commands' work is not wired as System.CommandLine actions:
/// <see cref="Program"/> runs it itself, so that a failure becomes the CLI's one-line message rather than the
/// library's stack trace. Response files ("@file") are off: a picture named "@home.png" is a picture.
/// </remarks>
public static class CnnCommandLine
{
    /// <summary>--verbose (-v), valid anywhere on the line: debug logging, and stack traces on errors.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "debug logging, and stack traces on errors",
        Arity = ArgumentArity.Zero,
        Recursive = true,
    };

    /// <summary>`cnn help [COMMAND]`: the same as `cnn [COMMAND] --help`, for those who type it that way.</summary>
    public static Command Help { get; } = new("help", "help of cnn or of one command") { Hidden = true };

    /// <summary>The COMMAND of `cnn help COMMAND`.</summary>
    public static Argument<string> HelpTopic { get; } = new("COMMAND") { Arity = ArgumentArity.ZeroOrOne, Description = "the command to explain" };

    /// <summary>The root command, "cnn".</summary>
    public static RootCommand Root { get; } = CreateRoot();

    /// <summary>How `cnn` reads its arguments: POSIX bundling is harmless, response files are not (see remarks).</summary>
    public static ParserConfiguration Parser { get; } = new() { ResponseFileTokenReplacer = null };

    /// <summary>Writes the help of <paramref name="command"/> (the root or one of its commands) as `--help` shows it.</summary>
    public static void WriteHelp(Command command, TextWriter output)
    {
        string[] args = command is RootCommand ? ["--help"] : [command.Name, "--help"];
        Root.Parse(args, Parser).Invoke(new InvocationConfiguration { Output = output, Error = output });
    }

    /// <summary>The command `cnn help NAME` asks about, or null for an unknown name.</summary>
    public static Command? HelpTarget(ParseResult parse)
        => parse.GetValue(HelpTopic) is { } name ? Root.Subcommands.FirstOrDefault(c => c.Name == name && !c.Hidden) : Root;

    private static RootCommand CreateRoot()
    {
        var root = new RootCommand("Convolutional neural networks on the CPU, native code or OpenCL (CnnNative).") { HelpName = "cnn" };
        root.Options.Add(Verbose);
        root.Options.OfType<HelpOption>().Single().Action = new HelpWithFooter();
        var version = root.Options.OfType<VersionOption>().Single();
        version.Description = "the version of cnn (the CnnNative.Cli package)";
        version.Action = new VersionLine();
        foreach (var command in Program.Commands) root.Subcommands.Add(command.Definition);
        Help.Arguments.Add(HelpTopic);
        root.Subcommands.Add(Help);
        return root;
    }

    /// <summary>System.CommandLine's help, with the exit codes and tab completion below the root's.</summary>
    private sealed class HelpWithFooter : SynchronousCommandLineAction
    {
        private readonly HelpAction _help = new() { MaxWidth = 120 };

        /// <summary>Help is shown even when the rest of the line is wrong ("cnn train --epoch 3 --help").</summary>
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int code = _help.Invoke(parseResult);
            if (parseResult.CommandResult.Command is RootCommand)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Exit codes: 0 success, 1 the run failed, 2 the command line is wrong.");
                output.WriteLine("'cnn COMMAND --help' lists a command's options. Tab completion: install dotnet-suggest");
                output.WriteLine("(dotnet tool install -g dotnet-suggest) and its shell script, then register cnn with");
                output.WriteLine("'dotnet-suggest register --command-path \"$(command -v cnn)\"' (see the README).");
            }
            return code;
        }
    }

    /// <summary>"cnn 0.1.0+abc": the tool's name with the version, as `cnn --version` has always printed it.</summary>
    private sealed class VersionLine : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine($"cnn {Program.Version}");
            return Program.Ok;
        }
    }
}
