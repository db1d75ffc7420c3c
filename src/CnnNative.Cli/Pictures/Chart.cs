using CnnNative.Serialization;
using ScottPlot;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// A picture drawn with ScottPlot (one plot or several side by side) and the size it is rendered at; written as a
/// PNG through <see cref="AtomicFile"/>, as every save in the project is.
/// </summary>
public sealed class Chart
{
    private readonly Multiplot _figure;

    internal Chart(Multiplot figure, int width, int height)
    {
        if (width < 1 || height < 1) throw new ArgumentException($"A chart of {width}x{height} pixels cannot be drawn.");
        (_figure, Width, Height) = (figure, width, height);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The plots it is made of, in the order they were added (titles, axis labels and data can be read back).</summary>
    public IReadOnlyList<Plot> Plots => _figure.GetPlots();

    /// <summary>Renders the chart as PNG bytes.</summary>
    public byte[] ToPng()
    {
        using var image = _figure.Render(Width, Height);
        return image.GetImageBytes(ImageFormat.Png);
    }

    /// <summary>Writes the chart to <paramref name="path"/> as a PNG, atomically (temp file, then rename).</summary>
    public void Save(string path) => AtomicFile.Write(path, ToPng(), createFolder: true);
}
