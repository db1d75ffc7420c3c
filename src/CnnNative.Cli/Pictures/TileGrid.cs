using ScottPlot;
using ScottPlot.Plottables;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// Lays out small heatmaps (filters, feature maps) in a labelled grid on a ScottPlot plot, one data unit per value,
/// all on one colour scale, the way CNN tutorials show them.
/// </summary>
/// <remarks>
/// A group is what one label names: one filter (its C channels side by side) or one feature map. Groups fill a
/// near-square grid row by row, each with its label above it. NaN and ±∞ are drawn magenta, a colour neither scale
/// uses, so that a broken network looks broken.
/// </remarks>
internal static class TileGrid
{
    /// <summary>Space between the channels of a filter, in values.</summary>
    public const double ChannelGap = 0.3;

    /// <summary>Pixels between groups, and for the label above each (a 12-pixel label and some air).</summary>
    private const double GapPixels = 10, LabelPixels = 22;

    /// <summary>
    /// How big a value is drawn, in pixels, and so how many data units (values) the pixel-sized gaps and labels take.
    /// </summary>
    public readonly record struct Scale(double PixelsPerValue)
    {
        /// <summary>Space between groups, in values.</summary>
        public double Gap => GapPixels / PixelsPerValue;

        /// <summary>Room for a label above a group, in values.</summary>
        public double LabelRoom => LabelPixels / PixelsPerValue;

        /// <summary>
        /// About 60 pixels a tile side (at most 16 pixels a value, at least 3); smaller when the grid would be more
        /// than about 4000 pixels a side, so that a huge layer still fits a screen or two.
        /// </summary>
        public static Scale For(int tileSide, int groups, int columns, double groupWidth, double groupHeight)
        {
            int rows = (groups + columns - 1) / columns;
            double unit = Math.Clamp(60.0 / tileSide, 3, 16);
            unit = Math.Min(unit, (4000 - columns * GapPixels) / (columns * groupWidth));
            unit = Math.Min(unit, (4000 - rows * (GapPixels + LabelPixels)) / (rows * groupHeight));
            return new Scale(Math.Max(unit, 1));
        }
    }

    /// <summary>The colour of NaN and infinite values.</summary>
    public static readonly Color NotFinite = Colors.Magenta;

    /// <summary>One labelled group of tiles, each (rows, columns).</summary>
    public sealed record Group(string Label, IReadOnlyList<double[,]> Tiles);

    /// <summary>
    /// Adds <paramref name="groups"/> in a grid of <paramref name="columns"/> columns whose top-left corner is at
    /// (<paramref name="left"/>, <paramref name="top"/>); returns one of the heatmaps (for a colour bar) and the size taken.
    /// </summary>
    public static (Heatmap Any, double Width, double Height) Add(Plot plot, IReadOnlyList<Group> groups, int columns, double left, double top,
                                                                 IColormap colormap, ScottPlot.Range range, Scale scale)
    {
        int rows = groups[0].Tiles[0].GetLength(0), cols = groups[0].Tiles[0].GetLength(1), tiles = groups[0].Tiles.Count;
        double groupWidth = GroupWidth(tiles, cols), groupHeight = scale.LabelRoom + rows;
        Heatmap? any = null;
        for (int g = 0; g < groups.Count; g++)
        {
            double x = left + (g % columns) * (groupWidth + scale.Gap), y = top - (g / columns) * (groupHeight + scale.Gap);
            Label(plot, groups[g].Label, x + groupWidth / 2, y, scale);
            for (int t = 0; t < tiles; t++)
                any = Place(plot, groups[g].Tiles[t], x + t * (cols + ChannelGap), y - scale.LabelRoom, colormap, range);
        }
        int gridRows = (groups.Count + columns - 1) / columns;
        return (any!, Math.Min(columns, groups.Count) * (groupWidth + scale.Gap) - scale.Gap, gridRows * (groupHeight + scale.Gap) - scale.Gap);
    }

    /// <summary>Width in values of a group of <paramref name="tiles"/> tiles <paramref name="columns"/> values wide.</summary>
    public static double GroupWidth(int tiles, int columns) => tiles * columns + (tiles - 1) * ChannelGap;

    /// <summary>A label centred at <paramref name="x"/> in the label room below <paramref name="top"/>, just above the tile.</summary>
    public static void Label(Plot plot, string text, double x, double top, Scale scale)
        => ChartLook.Label(plot, text, x, top - scale.LabelRoom + 4 / scale.PixelsPerValue);

    /// <summary>One heatmap of <paramref name="values"/> (rows, columns) with its top-left corner at (left, top).</summary>
    public static Heatmap Place(Plot plot, double[,] values, double left, double top, IColormap colormap, ScottPlot.Range range)
    {
        int rows = values.GetLength(0), cols = values.GetLength(1);
        // ScottPlot sizes a heatmap's cells from its edges over (count - 1): a single row or column would divide by
        // zero, so such a tile is drawn from its values repeated twice, which looks the same.
        var heatmap = plot.Add.Heatmap(rows == 1 || cols == 1 ? Doubled(values) : values);
        heatmap.Rectangle = new CoordinateRect(left, left + cols, top - rows, top);
        heatmap.Colormap = colormap;
        heatmap.ManualRange = range;
        heatmap.NaNCellColor = NotFinite;
        return heatmap;
    }

    /// <summary>Values [offset, offset + h·w) as an h×w grid; ±∞ become NaN (drawn <see cref="NotFinite"/>).</summary>
    public static double[,] Slice(ReadOnlySpan<float> values, int offset, int h, int w)
    {
        var grid = new double[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float v = values[offset + y * w + x];
                grid[y, x] = float.IsFinite(v) ? v : double.NaN;
            }
        return grid;
    }

    /// <summary>The largest finite magnitude (1 when there is none), for a scale symmetric around 0.</summary>
    public static double MaxMagnitude(ReadOnlySpan<float> values)
    {
        double max = 0;
        foreach (float v in values)
            if (float.IsFinite(v)) max = Math.Max(max, Math.Abs(v));
        return max > 0 ? max : 1;
    }

    /// <summary>Whether any value is NaN or infinite.</summary>
    public static bool AnyNotFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (!float.IsFinite(v)) return true;
        return false;
    }

    /// <summary>Columns of a near-square grid of <paramref name="count"/> items.</summary>
    public static int SquareColumns(int count) => Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));

    /// <summary>A frameless plot with square units: only the title, the tiles, their labels and a colour bar show.</summary>
    public static Plot NewPlot(string title)
    {
        var plot = ChartLook.NewPlot();
        plot.HideAxesAndGrid();
        plot.Axes.Title.IsVisible = true;
        plot.Title(title, size: 15);
        plot.Axes.SquareUnits();
        return plot;
    }

    /// <summary>
    /// A chart of the tiles laid out from (0, 0) over <paramref name="width"/> values right and <paramref name="height"/>
    /// values down at <paramref name="scale"/>, plus room for the title and the colour bar, never narrower than the title.
    /// </summary>
    public static Chart ToChart(Plot plot, string title, double width, double height, Scale scale)
    {
        int pixelsWide = Math.Max((int)(width * scale.PixelsPerValue) + 170, title.Length * 9 + 220); // the title is centred over the tiles, not the colour bar
        int pixelsHigh = Math.Max((int)(height * scale.PixelsPerValue) + 90, 220);
        // The labels above the top row belong to the picture: without these limits the axes would fit the tiles
        // alone and the first row's labels would run into the title.
        plot.Axes.SetLimits(-0.5, width + 0.5, -height - 0.5, 0.5);
        return new Chart(new Multiplot(plot), pixelsWide, pixelsHigh);
    }

    private static double[,] Doubled(double[,] values)
    {
        int rows = values.GetLength(0), cols = values.GetLength(1);
        var doubled = new double[rows * 2, cols * 2];
        for (int y = 0; y < rows * 2; y++)
            for (int x = 0; x < cols * 2; x++)
                doubled[y, x] = values[y / 2, x / 2];
        return doubled;
    }
}
