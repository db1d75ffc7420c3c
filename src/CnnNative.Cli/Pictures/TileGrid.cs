using SkiaSharp;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// Lays out small grey tiles (filters, feature maps) in a grid and scales it up, the way every CNN tutorial shows them.
/// </summary>
/// <remarks>
/// The values come as <c>groups</c> groups of <c>tilesPerGroup</c> tiles of h×w; each group is normalised to its own
/// min..max (black..white), because weights of different filters differ in scale and one global range would show most
/// of them as flat grey. A constant group is drawn mid-grey; NaN and ±∞ are drawn red so that a broken network is
/// visible as such. The grid is built at one pixel per value with a 1-pixel gap (blue-grey, a colour no value takes)
/// and then every pixel becomes a scale×scale square (nearest neighbour: the point is to see single weights).
/// </remarks>
internal static class TileGrid
{
    private static readonly SKColor Gap = new(0x40, 0x50, 0x70);
    private static readonly SKColor NotFinite = new(0xE0, 0x20, 0x20);

    public static SKImage Render(ReadOnlySpan<float> values, int groups, int tilesPerGroup, int h, int w,
        int groupsPerRow, int scale)
    {
        int groupSize = tilesPerGroup * h * w;
        int rows = (groups + groupsPerRow - 1) / groupsPerRow;
        int groupWidth = tilesPerGroup * (w + 1);           // each tile plus the gap on its right
        int width = (1 + groupsPerRow * groupWidth) * scale; // plus the gap on the far left
        int height = (1 + rows * (h + 1)) * scale;
        if ((long)width * height * 4 > Array.MaxLength)
            throw new ArgumentException($"A {width}x{height} picture is too large; use a smaller scale than {scale}.", nameof(scale));

        var pixels = new byte[width * height * 4];
        for (int i = 0; i < pixels.Length; i += 4) Put(pixels, i, Gap);

        for (int g = 0; g < groups; g++)
        {
            var group = values.Slice(g * groupSize, groupSize);
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            foreach (float v in group)
                if (float.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
            float range = max - min;

            int x0 = 1 + (g % groupsPerRow) * groupWidth, y0 = 1 + (g / groupsPerRow) * (h + 1);
            for (int t = 0; t < tilesPerGroup; t++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        float v = group[(t * h + y) * w + x];
                        SKColor c;
                        if (!float.IsFinite(v)) c = NotFinite;
                        else
                        {
                            float level = range > 0 ? (v - min) / range : 0.5f;
                            byte grey = (byte)MathF.Round(255f * level);
                            c = new SKColor(grey, grey, grey);
                        }
                        Fill(pixels, width, (x0 + t * (w + 1) + x) * scale, (y0 + y) * scale, scale, c);
                    }
        }
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        return SKImage.FromPixelCopy(info, pixels, width * 4);
    }

    /// <summary>Columns of a near-square grid of <paramref name="count"/> items.</summary>
    public static int SquareColumns(int count) => Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));

    private static void Fill(byte[] pixels, int width, int x, int y, int size, SKColor c)
    {
        for (int dy = 0; dy < size; dy++)
            for (int dx = 0; dx < size; dx++)
                Put(pixels, ((y + dy) * width + x + dx) * 4, c);
    }

    private static void Put(byte[] pixels, int i, SKColor c)
    {
        pixels[i] = c.Red;
        pixels[i + 1] = c.Green;
        pixels[i + 2] = c.Blue;
        pixels[i + 3] = 255;
    }
}
