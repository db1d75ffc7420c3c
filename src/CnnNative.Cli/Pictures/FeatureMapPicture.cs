namespace CnnNative.Cli.Pictures;

/// <summary>
/// One image's activations after a layer, (C, H, W), as a PNG: one tile per channel in a near-square grid,
/// each channel normalised to its own min..max (see <see cref="TileGrid"/>).
/// </summary>
public static class FeatureMapPicture
{
    /// <summary>Writes the C feature maps to <paramref name="path"/> (PNG, atomically).</summary>
    /// <param name="activations">C·H·W values of one image (at least; extra values are ignored).</param>
    /// <param name="scale">Output pixels per activation.</param>
    public static void Save(string path, ReadOnlySpan<float> activations, int c, int h, int w, int scale = 4)
    {
        if (c <= 0 || h <= 0 || w <= 0 || scale <= 0)
            throw new ArgumentException($"Feature maps (C={c}, H={h}, W={w}) at scale {scale}: every size must be positive.");
        if ((long)c * h * w > activations.Length)
            throw new ArgumentException($"Feature maps (C={c}, H={h}, W={w}) need {(long)c * h * w} values, got {activations.Length}.", nameof(activations));
        using var image = TileGrid.Render(activations, c, 1, h, w, TileGrid.SquareColumns(c), scale);
        PictureFile.SavePng(path, image);
    }

    /// <summary>Array overload of <see cref="Save(string, ReadOnlySpan{float}, int, int, int, int)"/>.</summary>
    public static void Save(string path, float[] activations, int c, int h, int w, int scale = 4)
        => Save(path, (ReadOnlySpan<float>)activations, c, h, w, scale);
}
