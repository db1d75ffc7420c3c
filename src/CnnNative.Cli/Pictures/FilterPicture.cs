using CnnNative.Cli.Output;
using ScottPlot;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// A convolution layer's filters as a picture: what the network looks for in its input.
/// </summary>
/// <remarks>
/// Weights come as the library stores them, (K, C, R, S). Each filter is a tile (its C channels side by side) labelled
/// with its number, in a near-square grid under a title naming the layer and the model. All filters share one colour
/// scale, symmetric around 0 (blue negative, white 0, red positive) with a colour bar, so that strong and weak
/// filters can be told apart; a constant filter is drawn in one colour.
/// </remarks>
public static class FilterPicture
{
    /// <summary>Draws the filters.</summary>
    /// <param name="weights">K·C·R·S weights (at least; extra values are ignored).</param>
    /// <param name="k">Filters.</param>
    /// <param name="c">Input channels.</param>
    /// <param name="r">Kernel height.</param>
    /// <param name="s">Kernel width.</param>
    /// <param name="layer">The layer's name, e.g. "conv2d_1".</param>
    /// <param name="source">Where the layer comes from, e.g. the model file's name.</param>
    public static Chart Create(ReadOnlySpan<float> weights, int k, int c, int r, int s, string layer, string source)
    {
        if (k <= 0 || c <= 0 || r <= 0 || s <= 0)
            throw new ArgumentException($"Filters (K={k}, C={c}, R={r}, S={s}): every size must be positive.");
        if ((long)k * c * r * s > weights.Length)
            throw new ArgumentException($"Filters (K={k}, C={c}, R={r}, S={s}) need {(long)k * c * r * s} weights, got {weights.Length}.", nameof(weights));
        weights = weights[..(k * c * r * s)];

        var groups = new List<TileGrid.Group>(k);
        for (int f = 0; f < k; f++)
        {
            var channels = new List<double[,]>(c);
            for (int ch = 0; ch < c; ch++) channels.Add(TileGrid.Slice(weights, (f * c + ch) * r * s, r, s));
            groups.Add(new TileGrid.Group($"{f + 1}", channels));
        }

        string title = $"{layer} of {source}: {Counts.Of(k, "filter")} of {c}×{r}×{s}"
                     + (c > 1 ? ", input channels left to right" : "")
                     + (TileGrid.AnyNotFinite(weights) ? " (magenta: NaN or infinite)" : "");
        var plot = TileGrid.NewPlot(title);
        double limit = TileGrid.MaxMagnitude(weights);
        int columns = TileGrid.SquareColumns(k);
        var scale = TileGrid.Scale.For(Math.Max(r, s), k, columns, TileGrid.GroupWidth(c, s), r);
        var (any, width, height) = TileGrid.Add(plot, groups, columns, 0, 0, new ScottPlot.Colormaps.Balance(), new ScottPlot.Range(-limit, limit), scale);
        plot.Add.ColorBar(any).Label = "weight";
        return TileGrid.ToChart(plot, title, width, height, scale);
    }

    /// <summary>Draws the filters and writes them to <paramref name="path"/> (PNG, atomically).</summary>
    public static void Save(string path, ReadOnlySpan<float> weights, int k, int c, int r, int s, string layer, string source)
        => Create(weights, k, c, r, s, layer, source).Save(path);
}
