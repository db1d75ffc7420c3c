using CnnNative.Cli.Output;
using CnnNative.Training;
using ScottPlot;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// The training curves of a run: loss on the left, accuracy in percent on the right, each for the training data and
/// the held-out data (the validation split, or the test set), per epoch, under a title naming the run.
/// </summary>
/// <remarks>
/// Every epoch is a marker on its line, so a one-epoch run shows its points rather than an empty chart. The loss axis
/// starts at 0 and the accuracy axis ends at 100 %, so that the eye reads distances honestly; the epoch axis has
/// whole-number ticks. An epoch without a held-out value (NaN) leaves a gap.
/// </remarks>
public static class CurvePicture
{
    /// <summary>Pixels of the chart: two panels side by side under a header line.</summary>
    public const int Width = 1000, Height = 440;

    private const int HeaderRows = 1, GridRows = 10; // the header takes a tenth of the height

    /// <summary>Draws the curves of <paramref name="epochs"/>.</summary>
    /// <param name="epochs">The run's epochs, in order.</param>
    /// <param name="heldOut">What the per-epoch held-out figures were measured on: "validation" or "test".</param>
    /// <param name="title">The run, e.g. "lenet5 on cpu".</param>
    public static Chart Create(IReadOnlyList<EpochResult> epochs, string heldOut, string title)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        if (epochs.Count == 0) throw new ArgumentException("A run without epochs has no curves to draw.", nameof(epochs));

        var header = ChartLook.NewPlot();
        header.HideAxesAndGrid();
        header.Axes.Title.IsVisible = true;
        header.Title(Shorten($"{title}: {Counts.Of(epochs.Count, "epoch")}"), size: 17);

        double[] x = epochs.Select(e => (double)e.Epoch).ToArray();
        var loss = Panel("loss", "cross-entropy loss", x);
        Curve(loss, x, epochs.Select(e => e.TrainLoss), "training", Colors.C0, LinePattern.Solid);
        Curve(loss, x, epochs.Select(e => e.ValidationLoss ?? double.NaN), heldOut, Colors.C1, LinePattern.Dashed);
        double top = Finite(loss).DefaultIfEmpty(1).Max();
        loss.Axes.SetLimitsY(0, top > 0 ? top * 1.1 : 1);
        loss.ShowLegend(Alignment.UpperRight);

        var accuracy = Panel("accuracy", "accuracy (%)", x);
        Curve(accuracy, x, epochs.Select(e => 100 * e.TrainAccuracy), "training", Colors.C0, LinePattern.Solid);
        Curve(accuracy, x, epochs.Select(e => 100 * (e.ValidationAccuracy ?? double.NaN)), heldOut, Colors.C1, LinePattern.Dashed);
        // From the ten below the lowest point up to 100 %, with room for a marker at 100.
        double bottom = Math.Max(0, Math.Floor((Finite(accuracy).DefaultIfEmpty(0).Min() - 2) / 10) * 10);
        accuracy.Axes.SetLimitsY(bottom, 101);
        accuracy.ShowLegend(Alignment.LowerRight);

        var figure = new Multiplot(header);
        figure.AddPlot(loss);
        figure.AddPlot(accuracy);
        var grid = new ScottPlot.MultiplotLayouts.CustomGrid();
        grid.Set(header, new GridCell(0, 0, GridRows, 2, rowSpan: HeaderRows, colSpan: 2));
        grid.Set(loss, new GridCell(HeaderRows, 0, GridRows, 2, rowSpan: GridRows - HeaderRows));
        grid.Set(accuracy, new GridCell(HeaderRows, 1, GridRows, 2, rowSpan: GridRows - HeaderRows));
        figure.Layout = grid;
        return new Chart(figure, Width, Height);
    }

    /// <summary>Most characters of the title that fit the figure's width at its font size.</summary>
    public const int MaxTitleLength = 80;

    /// <summary>
    /// The title, or its start and end around an ellipsis when longer than <see cref="MaxTitleLength"/>: a model
    /// given as a long spec would otherwise run off both sides of the figure, and its start (the first layers) and
    /// end (the device and epoch count) say the most.
    /// </summary>
    public static string Shorten(string title)
    {
        if (title.Length <= MaxTitleLength) return title;
        int head = (MaxTitleLength - 1) / 2, tail = MaxTitleLength - 1 - head;
        return string.Concat(title.AsSpan(0, head), "…", title.AsSpan(title.Length - tail));
    }

    /// <summary>Draws the curves and writes them to <paramref name="path"/> (PNG, atomically).</summary>
    public static void Save(string path, IReadOnlyList<EpochResult> epochs, string heldOut, string title)
        => Create(epochs, heldOut, title).Save(path);

    private static Plot Panel(string title, string yLabel, double[] epochs)
    {
        var plot = ChartLook.NewPlot();
        plot.Title(title, size: 14);
        plot.XLabel("epoch", size: 13);
        plot.YLabel(yLabel, size: 13);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.SetLimitsX(epochs.Min() - 0.5, epochs.Max() + 0.5);
        return plot;
    }

    /// <summary>One line with a marker per epoch; epochs without a finite value are left out (a gap).</summary>
    private static void Curve(Plot plot, double[] epochs, IEnumerable<double> values, string name, Color color, LinePattern pattern)
    {
        var ys = values.ToArray();
        if (!ys.Any(double.IsFinite)) return;
        var line = plot.Add.Scatter(epochs, ys, color);
        line.LegendText = name;
        line.LineWidth = 2;
        line.MarkerSize = 8;
        line.LinePattern = pattern;
    }

    private static IEnumerable<double> Finite(Plot plot)
        => plot.GetPlottables<ScottPlot.Plottables.Scatter>().SelectMany(s => s.Data.GetScatterPoints()).Select(p => p.Y).Where(double.IsFinite);
}
