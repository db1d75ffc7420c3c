using ScottPlot;
using SkiaSharp;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// What every chart of the CLI shares: a sans-serif font that exists on this machine, and labels placed in data
/// coordinates.
/// </summary>
/// <remarks>
/// The Linux build of SkiaSharp the CLI ships (NativeAssets.Linux.NoDependencies, no fontconfig) finds the font files
/// under /usr/share/fonts by itself; left alone, ScottPlot would take the first family there, which on Debian is
/// DejaVu Serif. Where no font is found at all, the charts are still drawn, without their text.
/// </remarks>
internal static class ChartLook
{
    private static readonly string[] Preferred = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans", "Arial", "Helvetica", "Segoe UI"];

    private static readonly Lazy<string?> Family = new(() =>
    {
        var installed = SKFontManager.Default.FontFamilies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return Preferred.FirstOrDefault(installed.Contains);
    });

    /// <summary>A new plot in the chart font.</summary>
    public static Plot NewPlot()
    {
        var plot = new Plot();
        if (Family.Value is { } family) plot.Font.Set(family);
        return plot;
    }

    /// <summary>A text label at (x, y) in data units, bottom-centred there, in the chart font.</summary>
    public static void Label(Plot plot, string text, double x, double y, float size = 12)
    {
        var label = plot.Add.Text(text, x, y);
        label.LabelAlignment = Alignment.LowerCenter;
        label.LabelFontSize = size;
        if (Family.Value is { } family) label.LabelFontName = family;
    }
}
