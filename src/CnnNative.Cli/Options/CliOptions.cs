using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace CnnNative.Cli.Options;

/// <summary>
/// The kinds of option `cnn` has, as System.CommandLine options that check their value while the command line is
/// parsed and say what is wrong in the CLI's own words ("invalid value 'zero' for --epochs: expected a whole number").
/// </summary>
/// <remarks>
/// Value options are nullable (<c>Option&lt;int?&gt;</c>): null means "not given", which is what lets a recipe's
/// choice stand unless an option overrides it, and every default is stated in the description instead. A value that
/// looks like an option ("--out --epochs 3") is refused as a missing value rather than taken as a file name: a
/// misplaced option silently swallowed costs more than a retry.
/// </remarks>
internal static class CliOptions
{
    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, shown as "--name VALUE".</summary>
    public static Option<int?> Int(string name, string valueName, string description, int min = int.MinValue, int max = int.MaxValue)
        => Value<int?>(name, valueName, description, text =>
        {
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v))
                return (null, "expected a whole number");
            return v < min || v > max ? (null, $"expected {Range(min, max)}") : (v, null);
        });

    /// <summary>A finite number greater than <paramref name="above"/> (float or double, read straight from the text).</summary>
    public static Option<T?> Number<T>(string name, string valueName, string description, T above) where T : struct, IFloatingPointIeee754<T>
        => Value<T?>(name, valueName, description, text =>
        {
            if (!T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out T v) || !T.IsFinite(v))
                return (null, "expected a finite number such as 0.001 or 1e-3");
            return v > above ? (v, null) : (null, $"expected a number above {above.ToString(null, CultureInfo.InvariantCulture)}");
        });

    /// <summary>One of <paramref name="choices"/>, case-insensitive, read in lower case; the choices are also its completions.</summary>
    public static Option<string> Choice(string name, string valueName, string description, params string[] choices)
    {
        var option = Value<string>(name, valueName, description, text =>
        {
            string lower = text.ToLowerInvariant();
            return choices.Contains(lower) ? (lower, null) : (null, $"expected {string.Join(" or ", choices)}");
        });
        option.CompletionSources.Add(choices);
        return option;
    }

    /// <summary>A text (a path, a list, a spec); <paramref name="required"/> makes the parser insist on it.</summary>
    public static Option<string> Text(string name, string valueName, string description, bool required = false)
    {
        var option = Value<string>(name, valueName, description, text => (text, null));
        option.Required = required;
        return option;
    }

    /// <summary>A switch: present or not, never with a value.</summary>
    public static Option<bool> Flag(string name, string description)
        => new(name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>
    /// Whether <paramref name="text"/> reads as an option rather than a value: "--x" or "-x", but not "-", "-4" or
    /// "-1e-3" (negative numbers are values).
    /// </summary>
    public static bool LooksLikeOption(string text) => text.Length > 1 && text[0] == '-' && (text[1] == '-' ? text.Length > 2 : char.IsLetter(text[1]));

    /// <summary>An option of one value read by <paramref name="read"/>, which gives the value or what was expected instead.</summary>
    private static Option<T> Value<T>(string name, string valueName, string description, Func<string, (T? Value, string? Expected)> read)
    {
        var option = new Option<T>(name) { Description = description, HelpName = valueName };
        option.CustomParser = result =>
        {
            // Given twice is reported by the parser itself; the last value is as good as any until then.
            if (result.Tokens.Count == 0) return default;
            string text = result.Tokens[^1].Value;
            if (text.StartsWith("--", StringComparison.Ordinal) && text.Length > 2)
            {
                result.AddError($"option {name} needs a value ({valueName})");
                return default;
            }
            var (value, expected) = read(text);
            if (expected is not null) result.AddError($"invalid value '{text}' for {name}: {expected}");
            return value;
        };
        return option;
    }

    private static string Range(int min, int max) => (min, max) switch
    {
        (int.MinValue, int.MaxValue) => "a whole number",
        (_, int.MaxValue) => $"a whole number ≥ {min}",
        (int.MinValue, _) => $"a whole number ≤ {max}",
        _ => $"a whole number from {min} to {max}",
    };
}
