using System.Globalization;
using System.Text;

namespace CnnNative.Cli.Options;

/// <summary>
/// A small, strict parser for one command's arguments: "--name value", "--name=value", boolean flags, and
/// positional arguments. Anything it does not know is an error that names it and lists what is valid, because a
/// misspelt option silently ignored (training for the default 5 epochs instead of 50) costs more than a retry.
/// </summary>
/// <remarks>
/// Declare the options, then <see cref="Parse"/>; the declarations also make the "--help" text, so usage and
/// parser cannot drift apart. Values are read with typed getters that reject what does not parse or is out of
/// range, naming the option and the value.
/// </remarks>
public sealed class ArgParser
{
    private sealed record OptionSpec(string Name, string? Value, string Help);
    private sealed record PositionalSpec(string Name, string Help, bool Required);

    private readonly List<OptionSpec> _options = [];
    private readonly List<PositionalSpec> _positionals = [];

    public ArgParser(string command, string summary)
    {
        Command = command;
        Summary = summary;
    }

    public string Command { get; }
    public string Summary { get; }

    /// <summary>An option that takes a value, shown as "--name VALUE".</summary>
    public ArgParser Option(string name, string value, string help)
    {
        _options.Add(new OptionSpec(name, value, help));
        return this;
    }

    /// <summary>A boolean option: present or not.</summary>
    public ArgParser Flag(string name, string help)
    {
        _options.Add(new OptionSpec(name, null, help));
        return this;
    }

    /// <summary>A positional argument, in declaration order.</summary>
    public ArgParser Positional(string name, string help, bool required = true)
    {
        _positionals.Add(new PositionalSpec(name, help, required));
        return this;
    }

    /// <summary>The "--help" text: usage line, summary, and one line per argument.</summary>
    public string Usage()
    {
        var sb = new StringBuilder();
        sb.Append("usage: cnn ").Append(Command);
        if (_options.Count > 0) sb.Append(" [options]");
        foreach (var p in _positionals) sb.Append(' ').Append(p.Required ? p.Name : $"[{p.Name}]");
        sb.AppendLine().AppendLine().AppendLine(Summary);
        var rows = _positionals.Select(p => (p.Name, p.Help))
            .Concat(_options.Select(o => ("--" + o.Name + (o.Value is null ? "" : " " + o.Value), o.Help)))
            .Append(("--verbose", "debug logging, and stack traces on errors"))
            .Append(("-h, --help", "show this text"))
            .ToList();
        int width = rows.Max(r => r.Item1.Length) + 2;
        sb.AppendLine();
        foreach (var (left, help) in rows) sb.Append("  ").Append(left.PadRight(width)).AppendLine(help);
        return sb.ToString();
    }

    /// <summary>Parses <paramref name="args"/> (without the command name).</summary>
    /// <exception cref="UsageException">Unknown option, missing value, too many or too few positionals.</exception>
    /// <exception cref="HelpRequestedException">"--help" or "-h" appeared.</exception>
    public ParsedArgs Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var positionals = new List<string>();
        bool onlyPositionals = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (onlyPositionals || !arg.StartsWith('-') || arg == "-")
            {
                positionals.Add(arg);
                continue;
            }
            if (arg == "--") { onlyPositionals = true; continue; }
            if (arg is "-h" or "--help") throw new HelpRequestedException(Usage());

            string name = arg.TrimStart('-');
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) (name, inline) = (name[..eq], name[(eq + 1)..]);
            var spec = _options.FirstOrDefault(o => o.Name == name)
                ?? throw new UsageException($"unknown option '{arg}' for 'cnn {Command}'; valid options: {ValidOptions()}");
            if (spec.Value is null)
            {
                if (inline is not null) throw new UsageException($"option --{name} takes no value, got '{inline}'");
                flags.Add(name);
                continue;
            }
            string? value = inline;
            if (value is null)
            {
                // A following "--x" is the next option, not this one's value: "--out --epochs 3" is a mistake.
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--") && args[i + 1].Length > 2))
                    throw new UsageException($"option --{name} needs a value ({spec.Value})");
                value = args[++i];
            }
            if (values.ContainsKey(name)) throw new UsageException($"option --{name} is given twice");
            values[name] = value;
        }
        if (positionals.Count > _positionals.Count)
            throw new UsageException(_positionals.Count == 0
                ? $"'cnn {Command}' takes no arguments besides options, got '{positionals[0]}'"
                : $"unexpected argument '{positionals[_positionals.Count]}' for 'cnn {Command}' (it takes {string.Join(" ", _positionals.Select(p => p.Name))})");
        return new ParsedArgs(Command, values, flags, positionals);
    }

    private string ValidOptions() => string.Join(", ", _options.Select(o => "--" + o.Name).Append("--verbose").Append("--help"));
}

/// <summary>What <see cref="ArgParser.Parse"/> found, with typed getters that fail with the option and value named.</summary>
public sealed class ParsedArgs
{
    private readonly string _command;
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _flags;
    private readonly List<string> _positionals;

    internal ParsedArgs(string command, Dictionary<string, string> values, HashSet<string> flags, List<string> positionals)
        => (_command, _values, _flags, _positionals) = (command, values, flags, positionals);

    public bool Has(string name) => _values.ContainsKey(name) || _flags.Contains(name);

    public bool Flag(string name) => _flags.Contains(name);

    public string? String(string name) => _values.GetValueOrDefault(name);

    public string String(string name, string fallback) => _values.GetValueOrDefault(name) ?? fallback;

    /// <summary>Positional <paramref name="index"/>, or null when absent.</summary>
    public string? Positional(int index) => index < _positionals.Count ? _positionals[index] : null;

    /// <summary>Positional <paramref name="index"/>; a usage error naming <paramref name="what"/> when absent.</summary>
    public string RequirePositional(int index, string what)
        => Positional(index) ?? throw new UsageException($"'cnn {_command}' needs {what}");

    /// <summary>A value that must be given.</summary>
    public string Require(string name)
        => String(name) ?? throw new UsageException($"'cnn {_command}' needs --{name}");

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (String(name) is not { } text) return fallback;
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v))
            throw new UsageException($"invalid value '{text}' for --{name}: expected a whole number");
        if (v < min || v > max)
            throw new UsageException($"invalid value '{text}' for --{name}: expected {Range(min, max)}");
        return v;
    }

    /// <summary>A finite number greater than <paramref name="above"/>.</summary>
    public float Float(string name, float fallback, float above = float.NegativeInfinity)
    {
        if (String(name) is not { } text) return fallback;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
            throw new UsageException($"invalid value '{text}' for --{name}: expected a finite number such as 0.001 or 1e-3");
        if (!(v > above))
            throw new UsageException($"invalid value '{text}' for --{name}: expected a number above {above.ToString(CultureInfo.InvariantCulture)}");
        return v;
    }

    /// <summary>One of <paramref name="choices"/> (case-insensitive), returned in lower case.</summary>
    public string Choice(string name, string fallback, params string[] choices)
    {
        if (String(name) is not { } text) return fallback;
        string lower = text.ToLowerInvariant();
        return choices.Contains(lower) ? lower
            : throw new UsageException($"invalid value '{text}' for --{name}: expected {string.Join(" or ", choices)}");
    }

    private static string Range(int min, int max) => (min, max) switch
    {
        (int.MinValue, int.MaxValue) => "a whole number",
        (_, int.MaxValue) => $"a whole number ≥ {min}",
        (int.MinValue, _) => $"a whole number ≤ {max}",
        _ => $"a whole number from {min} to {max}",
    };
}
