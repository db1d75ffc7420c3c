namespace CnnNative.Cli.Options;

/// <summary>
/// "Did you mean --epochs?": the known names nearest a mistyped one, by edit distance (insertions, deletions,
/// substitutions and swapped neighbours each cost one).
/// </summary>
/// <remarks>
/// System.CommandLine prints its own typo corrections as a block of lines; `cnn` keeps its one-line error contract,
/// so the suggestion is made here and put into that line. A name counts as near when at most a third of it (and at
/// least one letter) differs, or when the typed text is the start of exactly one name ("--valid" for
/// "--validation-split").
/// </remarks>
internal static class Closest
{
    /// <summary>The names nearest <paramref name="typed"/>, best first; empty when none is near.</summary>
    public static IReadOnlyList<string> To(string typed, IEnumerable<string> names)
    {
        var candidates = names.Distinct().ToList();
        var prefixed = candidates.Where(n => typed.Length > 3 && n.StartsWith(typed, StringComparison.OrdinalIgnoreCase)).ToList();
        if (prefixed.Count == 1) return prefixed;

        int limit = Math.Max(1, typed.TrimStart('-').Length / 3);
        var scored = candidates.Select(n => (Name: n, Distance: Distance(typed.ToLowerInvariant(), n.ToLowerInvariant())))
                               .Where(c => c.Distance <= limit)
                               .ToList();
        if (scored.Count == 0) return [];
        int best = scored.Min(c => c.Distance);
        return scored.Where(c => c.Distance == best).Select(c => c.Name).ToList();
    }

    /// <summary>" (did you mean --epochs?)" (or "--a or --b"), or "" when nothing is near.</summary>
    public static string Suggestion(string typed, IEnumerable<string> names)
    {
        var near = To(typed, names);
        return near.Count == 0 ? "" : $" (did you mean {string.Join(" or ", near)}?)";
    }

    /// <summary>Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one substring).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
