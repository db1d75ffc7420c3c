using System.Globalization;

namespace CnnNative.Cli.Output;

/// <summary>Counts with their noun in the right number: "1 epoch", "2 epochs", "10,000 images".</summary>
internal static class Counts
{
    /// <summary>"<paramref name="count"/> <paramref name="noun"/>", with thousands separators and an "s" unless the count is 1.</summary>
    /// <param name="count">How many.</param>
    /// <param name="noun">The singular.</param>
    /// <param name="plural">The plural where it is not the singular plus "s".</param>
    public static string Of(long count, string noun, string? plural = null)
        => string.Create(CultureInfo.InvariantCulture, $"{count:N0} {(count == 1 ? noun : plural ?? noun + "s")}");
}
