using System.CommandLine;
using System.CommandLine.Parsing;

namespace CnnNative.Cli.Options;

/// <summary>
/// What is wrong with a command line, as the one line `cnn` prints: the first problem, naming the option, value or
/// argument, with a suggestion when a name was mistyped.
/// </summary>
/// <remarks>
/// System.CommandLine finds the problems; its messages are rewritten here where the CLI has always said more
/// ("unknown option '--epoch' for 'cnn train' (did you mean --epochs?); valid options: ...") and kept where they
/// already name what is wrong. Two checks are the CLI's own because the parser lets them pass: a value given to a
/// switch ("--resume=yes") and an option-like word taken as a positional argument ("cnn predict --modle m x.png"
/// would otherwise classify a file named "--modle").
/// </remarks>
internal static class UsageErrors
{
    /// <summary>The first problem of <paramref name="parse"/>, or null when the command line is right.</summary>
    /// <param name="parse">The parse of <paramref name="args"/>.</param>
    /// <param name="args">The arguments as given (System.CommandLine splits "--name=value" before anything sees it).</param>
    public static string? Describe(ParseResult parse, IReadOnlyList<string> args)
    {
        var command = parse.CommandResult.Command;
        // An option that took the next option as its value ("--out --epochs 3") explains the stray "3" that follows it.
        var valueMissing = parse.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult o && o.Tokens.Any(t => CliOptions.LooksLikeOption(t.Value)));
        return ValueGivenToSwitch(command, args)
            ?? OptionTakenAsArgument(parse)
            ?? valueMissing?.Message
            ?? Unmatched(parse)
            ?? parse.Errors.Select(e => Rewrite(e, command)).FirstOrDefault();
    }

    /// <summary>"cnn train" for a subcommand, "cnn" for the root.</summary>
    public static string Name(Command command) => command is RootCommand ? "cnn" : $"cnn {command.Name}";

    /// <summary>The options <paramref name="command"/> takes: its own and those its parents pass down (--verbose, --help).</summary>
    public static IEnumerable<Option> OptionsOf(Command command)
        => command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive)))
                  .Where(o => !o.Hidden);

    private static string? ValueGivenToSwitch(Command command, IReadOnlyList<string> args)
    {
        foreach (var arg in args.TakeWhile(a => a != "--"))
        {
            int eq = arg.IndexOf('=');
            if (!arg.StartsWith("--", StringComparison.Ordinal) || eq < 0) continue;
            string name = arg[..eq];
            if (OptionsOf(command).Any(o => o.Arity.MaximumNumberOfValues == 0 && (o.Name == name || o.Aliases.Contains(name))))
                return $"option {name} takes no value, got '{arg[(eq + 1)..]}'";
        }
        return null;
    }

    private static string? OptionTakenAsArgument(ParseResult parse)
    {
        // Only what stands before "--" can be a mistyped option; after it every word is an argument.
        var beforeDashes = parse.Tokens.TakeWhile(t => t.Type != TokenType.DoubleDash).ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var argument in parse.CommandResult.Command.Arguments)
            foreach (var token in parse.GetResult(argument)?.Tokens ?? [])
                if (beforeDashes.Contains(token) && CliOptions.LooksLikeOption(token.Value))
                    return UnknownOption(token.Value, parse.CommandResult.Command);
        return null;
    }

    private static string? Unmatched(ParseResult parse)
    {
        if (parse.UnmatchedTokens.Count == 0) return null;
        string token = parse.UnmatchedTokens[0];
        var command = parse.CommandResult.Command;
        if (CliOptions.LooksLikeOption(token)) return UnknownOption(token, command);
        if (command is RootCommand)
        {
            var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
            return $"unknown command '{token}'{Closest.Suggestion(token, names)}; commands: {string.Join(", ", names)} (cnn --help)";
        }
        return command.Arguments.Count == 0
            ? $"'{Name(command)}' takes no arguments besides options, got '{token}'"
            : $"unexpected argument '{token}' for '{Name(command)}' (it takes {string.Join(" ", command.Arguments.Select(a => a.Name))})";
    }

    private static string UnknownOption(string token, Command command)
    {
        string name = token.Split('=', 2)[0];
        var options = OptionsOf(command).ToList();
        var spellings = options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(s => s.StartsWith("--", StringComparison.Ordinal));
        string where = command is RootCommand ? "" : $" for '{Name(command)}'";
        return $"unknown option '{name}'{where}{Closest.Suggestion(name, spellings)}; valid options: {string.Join(", ", options.Select(o => o.Name))}";
    }

    private static string Rewrite(ParseError error, Command command)
    {
        switch (error.SymbolResult)
        {
            case OptionResult { IdentifierTokenCount: 0 } o:
                return $"'{Name(command)}' needs {o.Option.Name}{(o.Option.HelpName is { } value ? " " + value : "")}";
            case OptionResult { IdentifierTokenCount: > 1 } o when o.Option.Arity.MaximumNumberOfValues <= 1:
                return $"option {o.Option.Name} is given twice";
            case OptionResult o when o.Tokens.Count == 0 && o.Option.Arity.MinimumNumberOfValues > 0:
                return $"option {o.Option.Name} needs a value ({o.Option.HelpName})";
            case ArgumentResult a when a.Tokens.Count == 0:
                return $"'{Name(command)}' needs {Article(a.Argument.Name)} argument: {a.Argument.Description}";
            case CommandResult { Command: RootCommand root }:
                return $"no command given; commands: {string.Join(", ", root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))} (cnn --help)";
            default:
                return error.Message;
        }
    }

    private static string Article(string word) => ("AEIOU".Contains(char.ToUpperInvariant(word[0])) ? "an " : "a ") + word;
}
