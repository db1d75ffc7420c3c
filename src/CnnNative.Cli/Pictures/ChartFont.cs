using SkiaSharp;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// The typeface for chart text. SkiaSharp.NativeAssets.Linux.NoDependencies has no fontconfig, so its default
/// typeface may have no glyphs at all; then a TrueType file from the usual Debian font packages is loaded instead.
/// </summary>
internal static class ChartFont
{
    private static readonly string[] Candidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",          // fonts-dejavu-core
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",                       // Arch, Fedora
        "/System/Library/Fonts/Helvetica.ttc",
        @"C:\Windows\Fonts\arial.ttf",
    ];

    private static readonly Lazy<SKTypeface> Resolved = new(Resolve);

    /// <summary>A typeface with glyphs when one can be found; otherwise Skia's default (text may then not show).</summary>
    public static SKTypeface Typeface => Resolved.Value;

    private static SKTypeface Resolve()
    {
        var fallback = SKTypeface.Default;
        if (fallback.GlyphCount > 0) return fallback;
        foreach (var file in Candidates)
        {
            if (!File.Exists(file)) continue;
            var face = SKTypeface.FromFile(file);
            if (face is { GlyphCount: > 0 }) return face;
            face?.Dispose();
        }
        return fallback;
    }
}
