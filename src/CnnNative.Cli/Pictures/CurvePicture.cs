using System.Globalization;
using SkiaSharp;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// A line chart of training curves per epoch (loss on the left axis, accuracies on the right), as a PNG:
/// axes with "nice" tick labels (1, 2, 5 × 10ⁿ), light grid lines, a legend above the plot.
/// </summary>
public static class CurvePicture
{
    private static readonly SKColor[] Palette =
    [
        new(0x1F, 0x77, 0xB4), new(0xD6, 0x27, 0x28), new(0x2C, 0xA0, 0x2C), new(0xFF, 0x7F, 0x0E),
        new(0x94, 0x67, 0xBD), new(0x8C, 0x56, 0x4B),
    ];

    /// <summary>Draws <paramref name="series"/> and writes the chart to <paramref name="path"/> (PNG, atomically).</summary>
    public static void Save(string path, IReadOnlyList<CurveSeries> series, string title = "Training", int width = 640, int height = 400)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException("A chart needs at least one series.", nameof(series));
        if (width < 200 || height < 150) throw new ArgumentException($"A chart of {width}x{height} is too small to read; use at least 200x150.");
        int epochs = series.Max(s => s.Values.Count);
        if (epochs == 0) throw new ArgumentException("Every series is empty; there is nothing to draw.", nameof(series));

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"Skia could not create a {width}x{height} surface.");
        Draw(surface.Canvas, series, title, width, height, epochs);
        using var image = surface.Snapshot();
        PictureFile.SavePng(path, image);
    }

    private static void Draw(SKCanvas canvas, IReadOnlyList<CurveSeries> series, string title, int width, int height, int epochs)
    {
        canvas.Clear(SKColors.White);
        bool hasRight = series.Any(s => s.Axis == CurveAxis.Right);
        bool hasLeft = series.Any(s => s.Axis == CurveAxis.Left);
        var plot = new SKRect(hasLeft ? 62 : 24, 56, width - (hasRight ? 62 : 24), height - 44);

        using var font = new SKFont(ChartFont.Typeface, 12);
        using var titleFont = new SKFont(ChartFont.Typeface, 15) { Embolden = true };
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsAntialias = false, Style = SKPaintStyle.Stroke };
        using var grid = new SKPaint { Color = new SKColor(0xE4, 0xE4, 0xE4), StrokeWidth = 1, Style = SKPaintStyle.Stroke };

        canvas.DrawText(title, plot.Left, 22, SKTextAlign.Left, titleFont, text);

        // x: epochs 1..n (a single epoch gets a little room on both sides).
        double xMin = 1, xMax = Math.Max(2, epochs);
        float X(double epoch) => plot.Left + (float)((epoch - xMin) / (xMax - xMin)) * plot.Width;
        int xStep = Math.Max(1, (int)NiceStep((xMax - xMin) / 8));
        for (int e = 1; e <= (int)xMax; e += xStep)
        {
            float x = X(e);
            canvas.DrawLine(x, plot.Top, x, plot.Bottom, grid);
            canvas.DrawLine(x, plot.Bottom, x, plot.Bottom + 4, axis);
            canvas.DrawText(e.ToString(CultureInfo.InvariantCulture), x, plot.Bottom + 17, SKTextAlign.Center, font, text);
        }
        canvas.DrawText("epoch", plot.MidX, height - 8, SKTextAlign.Center, font, text);

        var left = Range(series, CurveAxis.Left);
        var right = Range(series, CurveAxis.Right);
        if (hasLeft) DrawYAxis(canvas, plot, left, plot.Left, -1, font, text, axis, hasRight ? null : grid);
        if (hasRight) DrawYAxis(canvas, plot, right, plot.Right, +1, font, text, axis, hasLeft ? null : grid);
        if (hasLeft && hasRight) DrawYGrid(canvas, plot, left, grid);
        canvas.DrawRect(plot, axis);

        // Curves, clipped to the plot, with a dot per epoch so that short runs are still visible.
        canvas.Save();
        canvas.ClipRect(plot);
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var range = s.Axis == CurveAxis.Left ? left : right;
            using var line = new SKPaint { Color = Palette[i % Palette.Length], StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
            using var dot = new SKPaint { Color = Palette[i % Palette.Length], IsAntialias = true, Style = SKPaintStyle.Fill };
            using var path = new SKPath();
            bool pen = false;
            for (int e = 0; e < s.Values.Count; e++)
            {
                double v = s.Values[e];
                if (!double.IsFinite(v)) { pen = false; continue; }
                var p = new SKPoint(X(e + 1), Y(plot, range, v));
                if (pen) path.LineTo(p); else path.MoveTo(p);
                pen = true;
                canvas.DrawCircle(p, 2.5f, dot);
            }
            canvas.DrawPath(path, line);
        }
        canvas.Restore();

        // Legend: one row above the plot, right-aligned.
        float lx = plot.Right;
        for (int i = series.Count - 1; i >= 0; i--)
        {
            string label = series[i].Name + (hasLeft && hasRight ? (series[i].Axis == CurveAxis.Right ? " (right)" : " (left)") : "");
            float w = font.MeasureText(label);
            lx -= w;
            canvas.DrawText(label, lx, 44, SKTextAlign.Left, font, text);
            using var swatch = new SKPaint { Color = Palette[i % Palette.Length], StrokeWidth = 3, IsAntialias = true };
            canvas.DrawLine(lx - 22, 40, lx - 4, 40, swatch);
            lx -= 36;
        }
    }

    private readonly record struct AxisRange(double Min, double Max, double Step);

    private static float Y(SKRect plot, AxisRange r, double v) => plot.Bottom - (float)((v - r.Min) / (r.Max - r.Min)) * plot.Height;

    private static void DrawYAxis(SKCanvas canvas, SKRect plot, AxisRange r, float x, int side, SKFont font, SKPaint text, SKPaint axis, SKPaint? grid)
    {
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(r.Step) + 1e-9));
        for (double v = r.Min; v <= r.Max + r.Step * 1e-6; v += r.Step)
        {
            float y = Y(plot, r, v);
            if (grid is not null) canvas.DrawLine(plot.Left, y, plot.Right, y, grid);
            canvas.DrawLine(x, y, x + side * 4, y, axis);
            string label = v.ToString("F" + decimals, CultureInfo.InvariantCulture);
            canvas.DrawText(label, x + side * 7, y + 4, side < 0 ? SKTextAlign.Right : SKTextAlign.Left, font, text);
        }
    }

    private static void DrawYGrid(SKCanvas canvas, SKRect plot, AxisRange r, SKPaint grid)
    {
        for (double v = r.Min; v <= r.Max + r.Step * 1e-6; v += r.Step)
        {
            float y = Y(plot, r, v);
            canvas.DrawLine(plot.Left, y, plot.Right, y, grid);
        }
    }

    /// <summary>The range of one axis, widened to whole ticks; values in [0,1] (accuracies) never get ticks outside it.</summary>
    private static AxisRange Range(IReadOnlyList<CurveSeries> series, CurveAxis which)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var s in series)
            if (s.Axis == which)
                foreach (var v in s.Values)
                    if (double.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
        if (!double.IsFinite(min)) (min, max) = (0, 1);
        bool unit = min >= 0 && max <= 1;
        if (max - min < 1e-12)
        {
            double pad = Math.Max(Math.Abs(min) * 0.1, 0.05);
            (min, max) = (min - pad, max + pad);
        }
        double step = NiceStep((max - min) / 5);
        double lo = Math.Floor(min / step + 1e-9) * step, hi = Math.Ceiling(max / step - 1e-9) * step;
        if (unit) (lo, hi) = (Math.Max(lo, 0), Math.Min(hi, 1));
        return new AxisRange(lo, hi, step);
    }

    /// <summary>The 1, 2 or 5 × 10ⁿ at or above <paramref name="rough"/>.</summary>
    private static double NiceStep(double rough)
    {
        if (rough <= 0) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double f = rough / p;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    }
}
