namespace CnnNative.Cli.Pictures;

/// <summary>
/// The first convolution layer's filters as a PNG: what the network looks for in the input.
/// </summary>
/// <remarks>
/// Weights are laid out as the library stores them, (K, C, R, S). With one input channel the K filters form a
/// near-square grid; with several, each row is one filter and each column one input channel. Each filter is
/// normalised to its own min..max (see <see cref="TileGrid"/>).
/// </remarks>
public static class FilterPicture
{
    /// <summary>Writes the filters to <paramref name="path"/> (PNG, atomically).</summary>
    /// <param name="weights">K·C·R·S weights (at least; extra values are ignored).</param>
    /// <param name="scale">Output pixels per weight.</param>
    public static void Save(string path, ReadOnlySpan<float> weights, int k, int c, int r, int s, int scale = 8)
    {
        Check(weights.Length, k, c, r, s, scale);
        int groupsPerRow = c == 1 ? TileGrid.SquareColumns(k) : 1;
        using var image = TileGrid.Render(weights, k, c, r, s, groupsPerRow, scale);
        PictureFile.SavePng(path, image);
    }

    /// <summary>Array overload of <see cref="Save(string, ReadOnlySpan{float}, int, int, int, int, int)"/>.</summary>
    public static void Save(string path, float[] weights, int k, int c, int r, int s, int scale = 8)
        => Save(path, (ReadOnlySpan<float>)weights, k, c, r, s, scale);

    private static void Check(int length, int k, int c, int r, int s, int scale)
    {
        if (k <= 0 || c <= 0 || r <= 0 || s <= 0 || scale <= 0)
            throw new ArgumentException($"Filters (K={k}, C={c}, R={r}, S={s}) at scale {scale}: every size must be positive.");
        if ((long)k * c * r * s > length)
            throw new ArgumentException($"Filters (K={k}, C={c}, R={r}, S={s}) need {(long)k * c * r * s} weights, got {length}.", "weights");
    }
}
