using CnnNative.Cli.Output;
using ScottPlot;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// How a layer sees one image: the image on the left, then the layer's output channels (C, H, W), each a tile
/// labelled with its number, under a title naming the layer, the model and the image.
/// </summary>
/// <remarks>
/// The maps share one colour scale with a colour bar: symmetric around 0 (blue, white, red) when some activation is
/// negative, from 0 up (viridis) otherwise, so that a map that hardly responds looks faint. The input is drawn in
/// grey from 0 (black) to 1 (white), the range the model reads (the mean of its channels for a colour input).
/// </remarks>
public static class FeatureMapPicture
{
    /// <summary>Draws the feature maps beside their input.</summary>
    /// <param name="activations">C·H·W values of one image (at least; extra values are ignored).</param>
    /// <param name="c">Channels (maps).</param>
    /// <param name="h">Map height.</param>
    /// <param name="w">Map width.</param>
    /// <param name="image">The input, (channels, imageH, imageW) in [0,1].</param>
    /// <param name="imageChannels">Channels of the input.</param>
    /// <param name="imageH">Input height.</param>
    /// <param name="imageW">Input width.</param>
    /// <param name="layer">The layer's name, e.g. "conv2d_1".</param>
    /// <param name="source">The model and the image, e.g. "model.safetensors on shirt.png".</param>
    public static Chart Create(ReadOnlySpan<float> activations, int c, int h, int w,
                               ReadOnlySpan<float> image, int imageChannels, int imageH, int imageW, string layer, string source)
    {
        if (c <= 0 || h <= 0 || w <= 0)
            throw new ArgumentException($"Feature maps (C={c}, H={h}, W={w}): every size must be positive.");
        if ((long)c * h * w > activations.Length)
            throw new ArgumentException($"Feature maps (C={c}, H={h}, W={w}) need {(long)c * h * w} values, got {activations.Length}.", nameof(activations));
        if (imageChannels <= 0 || imageH <= 0 || imageW <= 0 || (long)imageChannels * imageH * imageW > image.Length)
            throw new ArgumentException($"The input image ({imageChannels}, {imageH}, {imageW}) needs that many values, got {image.Length}.", nameof(image));
        activations = activations[..(c * h * w)];

        string title = $"{layer} of {source}: {Counts.Of(c, "feature map")} of {h}×{w}"
                     + (TileGrid.AnyNotFinite(activations) ? " (magenta: NaN or infinite)" : "");
        var plot = TileGrid.NewPlot(title);
        int columns = TileGrid.SquareColumns(c);
        var scale = TileGrid.Scale.For(Math.Max(h, w), c, columns, w, h);

        // The input, as the model saw it, on the left.
        var grey = new double[imageH, imageW];
        for (int ch = 0; ch < imageChannels; ch++)
            for (int y = 0; y < imageH; y++)
                for (int x = 0; x < imageW; x++)
                    grey[y, x] += image[(ch * imageH + y) * imageW + x] / imageChannels;
        TileGrid.Label(plot, imageChannels == 1 ? "input" : $"input (mean of {imageChannels} channels)", imageW / 2.0, 0, scale);
        TileGrid.Place(plot, grey, 0, -scale.LabelRoom, new ScottPlot.Colormaps.Grayscale(), new ScottPlot.Range(0, 1));

        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in activations)
            if (float.IsFinite(v)) (min, max) = (Math.Min(min, v), Math.Max(max, v));
        bool signed = min < 0;
        double limit = TileGrid.MaxMagnitude(activations);
        IColormap colormap = signed ? new ScottPlot.Colormaps.Balance() : new ScottPlot.Colormaps.Viridis();
        var range = signed ? new ScottPlot.Range(-limit, limit) : new ScottPlot.Range(0, limit);

        var groups = new List<TileGrid.Group>(c);
        for (int m = 0; m < c; m++) groups.Add(new TileGrid.Group($"{m + 1}", [TileGrid.Slice(activations, m * h * w, h, w)]));
        double left = imageW + 3 * scale.Gap;
        var (any, width, height) = TileGrid.Add(plot, groups, columns, left, 0, colormap, range, scale);
        plot.Add.ColorBar(any).Label = "activation";
        return TileGrid.ToChart(plot, title, left + width, Math.Max(height, imageH + scale.LabelRoom), scale);
    }

    /// <summary>Draws the feature maps and writes them to <paramref name="path"/> (PNG, atomically).</summary>
    public static void Save(string path, ReadOnlySpan<float> activations, int c, int h, int w,
                            ReadOnlySpan<float> image, int imageChannels, int imageH, int imageW, string layer, string source)
        => Create(activations, c, h, w, image, imageChannels, imageH, imageW, layer, source).Save(path);
}
