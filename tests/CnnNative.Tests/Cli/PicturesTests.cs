using System.Text;
using CnnNative.Cli.Pictures;
using CnnNative.Tensors;
using CnnNative.Tests.Data;
using CnnNative.Training;
using ScottPlot.Plottables;
using SkiaSharp;

namespace CnnNative.Tests.Cli;

public class PicturesTests
{
    private TempFolder _temp = null!;

    [SetUp] public void CreateFolder() => _temp = new TempFolder();
    [TearDown] public void DeleteFolder() => _temp.Dispose();

    // ------------------------------------------------------------------ PGM

    private static IEnumerable<TestCaseData> PgmFiles()
    {
        yield return new TestCaseData("P2\n# a comment\n3 2\n# another\n255\n0 51 102\n153 204 255\n"u8.ToArray(),
            new[] { 0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f }).SetName("P2 with comments");
        yield return new TestCaseData("P2 3 2 10 0 2 4 6 8 10"u8.ToArray(),
            new[] { 0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f }).SetName("P2 on one line, maxval 10");
        yield return new TestCaseData(Concat("P5\n3 2\n255\n"u8, [0, 51, 102, 153, 204, 255]),
            new[] { 0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f }).SetName("P5 8-bit");
        yield return new TestCaseData(Concat("P5 # size next\n3 2 1000\n"u8, [0, 0, 0, 200, 1, 144, 2, 88, 3, 32, 3, 232]),
            new[] { 0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f }).SetName("P5 16-bit");
    }

    [TestCaseSource(nameof(PgmFiles))]
    public void PgmIsParsed(byte[] content, float[] expected)
    {
        var pgm = PgmImage.Parse("test.pgm", content);
        Assert.That((pgm.Width, pgm.Height), Is.EqualTo((3, 2)));
        Assert.That(pgm.Pixels, Is.EqualTo(expected).Within(1e-6f));
    }

    private static IEnumerable<TestCaseData> BrokenPgmFiles()
    {
        yield return new TestCaseData(Concat("P5\n3 2\n255\n"u8, [1, 2, 3]), "only 3 bytes follow").SetName("P5 truncated");
        yield return new TestCaseData("P2 2 2 255 1 2 3"u8.ToArray(), "too few for 4 numbers").SetName("P2 truncated");
        yield return new TestCaseData("P2 2 2 255 1 2 3    "u8.ToArray(), "ends before the pixel 3").SetName("P2 truncated after whitespace");
        yield return new TestCaseData("P2 1 1 100 101"u8.ToArray(), "above maxval 100").SetName("P2 value above maxval");
        yield return new TestCaseData("P2 0 1 255"u8.ToArray(), "width is 0").SetName("zero width");
        yield return new TestCaseData("P2 x 1 255"u8.ToArray(), "expected a number for the width").SetName("garbage header");
    }

    [TestCaseSource(nameof(BrokenPgmFiles))]
    public void BrokenPgmIsRejectedNamingTheFile(byte[] content, string problem)
    {
        string path = _temp.File("broken.pgm");
        File.WriteAllBytes(path, content);
        Assert.That(() => ImageFile.Load(path),
            Throws.TypeOf<InvalidDataException>().With.Message.StartsWith(path + ": ").And.Message.Contains(problem));
    }

    [Test]
    public void PgmOfTheModelSizeLoadsExactly()
    {
        var pixels = Enumerable.Range(0, 28 * 28).Select(i => (i % 256) / 255f).ToArray();
        string path = _temp.File("digit.pgm");
        PgmImage.Write(path, pixels, 28, 28);

        Assert.That(ImageFile.Load(path), Is.EqualTo(pixels).Within(1e-6f));
        Assert.That(File.Exists(path + ".tmp"), Is.False);
    }

    [Test]
    public void PgmOfAnotherSizeIsResized()
    {
        string path = _temp.File("big.pgm");
        File.WriteAllBytes(path, Concat("P5 56 56 255\n"u8, Enumerable.Repeat((byte)200, 56 * 56).ToArray()));

        var image = ImageFile.Load(path, new Shape(1, 28, 28));

        Assert.That(image, Has.Length.EqualTo(784));
        Assert.That(image, Is.All.EqualTo(200 / 255f).Within(1.5f / 255));
    }

    // ------------------------------------------------------------------ PNG through Skia

    [Test]
    public void GreyPngRoundTrips()
    {
        var grey = Enumerable.Range(0, 28 * 28).Select(i => (byte)(i * 13 % 256)).ToArray();
        string path = _temp.File("shirt.png");
        WritePng(path, 28, 28, i => new SKColor(grey[i], grey[i], grey[i]));

        var image = ImageFile.Load(path);

        Assert.That(image, Is.EqualTo(grey.Select(g => g / 255f).ToArray()).Within(1e-5f));
    }

    [Test]
    public void ColourPngKeepsItsChannelsForThreeChannelModels()
    {
        string path = _temp.File("rgb.png");
        WritePng(path, 4, 4, _ => new SKColor(255, 128, 0));

        var image = ImageFile.Load(path, new Shape(3, 4, 4));

        Assert.That(image[..16], Is.All.EqualTo(1f).Within(1e-6f));
        Assert.That(image[16..32], Is.All.EqualTo(128 / 255f).Within(1e-6f));
        Assert.That(image[32..], Is.All.EqualTo(0f));
        Assert.That(ImageFile.Load(path, 4, 4), Is.All.EqualTo(0.587f * 128 / 255f + 0.299f).Within(1e-4f), "grey by Rec. 601");
    }

    [Test]
    public void LargePngIsResizedAndTransparencyIsBlack()
    {
        string path = _temp.File("large.png");
        WritePng(path, 140, 112, i => i % 140 < 70 ? new SKColor(255, 255, 255) : new SKColor(255, 255, 255, 0));

        var image = ImageFile.Load(path, 28, 28);

        Assert.That(image, Has.Length.EqualTo(784));
        for (int y = 0; y < 28; y++)
        {
            Assert.That(image[y * 28 + 2], Is.EqualTo(1f).Within(0.02f), "opaque white stays white");
            Assert.That(image[y * 28 + 25], Is.EqualTo(0f).Within(0.02f), "transparent becomes black, no inversion");
        }
    }

    [Test]
    public void UnreadableImageIsRejectedNamingTheFile()
    {
        string path = _temp.File("notes.png");
        File.WriteAllText(path, "this is not a picture");
        Assert.That(() => ImageFile.Load(path),
            Throws.TypeOf<InvalidDataException>().With.Message.StartsWith(path + ": ").And.Message.Contains("not an image"));
    }

    [Test]
    public void TruncatedPngIsRejectedNamingTheFile()
    {
        string path = _temp.File("cut.png");
        WritePng(path, 64, 64, i => new SKColor((byte)(i * 31), (byte)(i * 7), (byte)i));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        Assert.That(() => ImageFile.Load(path), Throws.TypeOf<InvalidDataException>().With.Message.StartsWith(path + ": "));
    }

    [Test]
    public void MissingImageIsFileNotFound()
        => Assert.Throws<FileNotFoundException>(() => ImageFile.Load(_temp.File("absent.png")));

    // ------------------------------------------------------------------ pictures

    [Test]
    public void FilterPictureShowsEveryFilterLabelledOnOneScale()
    {
        var weights = Enumerable.Range(0, 32 * 25).Select(i => MathF.Sin(i * 0.7f) * (1 + i / 25)).ToArray();
        string path = _temp.File("filters.png");

        var chart = FilterPicture.Create(weights, 32, 1, 5, 5, "conv2d_1", "fashion.safetensors");
        chart.Save(path);

        var plot = chart.Plots.Single();
        Assert.That(plot.Axes.Title.Label.Text, Is.EqualTo("conv2d_1 of fashion.safetensors: 32 filters of 1×5×5"));
        Assert.That(Labels(plot), Is.EqualTo(Enumerable.Range(1, 32).Select(i => i.ToString())), "one numbered tile per filter");
        var heatmaps = plot.GetPlottables<Heatmap>().ToList();
        Assert.That(heatmaps, Has.Count.EqualTo(32));
        double max = weights.Max(MathF.Abs);
        Assert.That(heatmaps.Select(h => (h.ManualRange!.Value.Min, h.ManualRange!.Value.Max)), Is.All.EqualTo((-max, max)), "one scale, symmetric around 0");
        Assert.That(plot.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>().Single().Label, Is.EqualTo("weight"));

        using var png = SKBitmap.Decode(path);
        Assert.That((png.Width, png.Height), Is.EqualTo((chart.Width, chart.Height)));
        Assert.That(png.Width, Is.GreaterThanOrEqualTo(6 * 5 * 10), "a 6×6 grid of 5×5 tiles at 10 or more pixels a weight");
        Assert.That(CountPixels(png, 0, 0, png.Width, png.Height, c => c.Red > 150 && c.Blue < 90 && c.Green < 90), Is.GreaterThan(500), "positive weights are red");
        Assert.That(CountPixels(png, 0, 0, png.Width, png.Height, c => c.Blue > 150 && c.Red < 90), Is.GreaterThan(500), "negative weights are blue");
        Assert.That(CountPixels(png, 0, 0, png.Width, 30, c => c.Red < 100 && c.Green < 100 && c.Blue < 100), Is.GreaterThan(50), "the title is drawn (a font was found)");
        Assert.That(Directory.GetFiles(_temp.Path, "*.tmp*"), Is.Empty);
    }

    [Test]
    public void FilterPictureOfColourFiltersShowsEveryChannel()
    {
        var weights = Enumerable.Range(0, 2 * 3 * 3 * 3).Select(i => (float)(i % 7 - 3)).ToArray();

        var chart = FilterPicture.Create(weights, 2, 3, 3, 3, "conv2d_1", "rgb.safetensors");

        var plot = chart.Plots.Single();
        Assert.That(plot.Axes.Title.Label.Text, Does.Contain("2 filters of 3×3×3, input channels left to right"));
        Assert.That(plot.GetPlottables<Heatmap>().Count(), Is.EqualTo(6));
        Assert.That(SKBitmap.Decode(chart.ToPng()), Is.Not.Null);
    }

    [Test]
    public void OneByOneFiltersAndASingleFilterAreDrawn()
    {
        var chart = FilterPicture.Create([0.5f, -1, 2, 0], 4, 1, 1, 1, "conv2d_1", "pointwise.safetensors");
        Assert.That(chart.Plots.Single().Axes.Title.Label.Text, Does.EndWith("4 filters of 1×1×1"));
        Assert.That(SKBitmap.Decode(chart.ToPng()), Is.Not.Null);

        var one = FilterPicture.Create([1, 2, 3, 4], 1, 1, 2, 2, "conv2d_1", "tiny.safetensors");
        Assert.That(one.Plots.Single().Axes.Title.Label.Text, Does.EndWith("1 filter of 1×2×2"));
    }

    [Test]
    public void NotFiniteWeightsAreDrawnMagentaAndSaidSo()
    {
        string path = _temp.File("broken.png");
        float[] weights = [float.NaN, float.PositiveInfinity, 1, -1, 0, 0.5f, -0.5f, 2, 1];

        var chart = FilterPicture.Create(weights, 1, 1, 3, 3, "conv2d_1", "broken.safetensors");
        chart.Save(path);

        Assert.That(chart.Plots.Single().Axes.Title.Label.Text, Does.Contain("magenta: NaN or infinite"));
        using var png = SKBitmap.Decode(path);
        Assert.That(CountPixels(png, 0, 0, png.Width, png.Height, c => c.Red > 200 && c.Blue > 200 && c.Green < 60), Is.GreaterThan(100));
    }

    [Test]
    public void FilterPictureRejectsTooFewWeights()
        => Assert.That(() => FilterPicture.Create(new float[10], 2, 1, 3, 3, "conv2d_1", "m"),
            Throws.ArgumentException.With.Message.Contains("need 18 weights, got 10"));

    [Test]
    public void FeatureMapPictureShowsTheInputBesideTheLabelledMaps()
    {
        var maps = Enumerable.Range(0, 5 * 6 * 7).Select(i => (float)(i % 11)).ToArray();
        var image = Enumerable.Range(0, 10 * 10).Select(i => i / 100f).ToArray();
        string path = _temp.File("maps.png");

        var chart = FeatureMapPicture.Create(maps, 5, 6, 7, image, 1, 10, 10, "conv2d_1", "m.safetensors on shirt.png");
        chart.Save(path);

        var plot = chart.Plots.Single();
        Assert.That(plot.Axes.Title.Label.Text, Is.EqualTo("conv2d_1 of m.safetensors on shirt.png: 5 feature maps of 6×7"));
        Assert.That(Labels(plot), Is.EqualTo(new[] { "input", "1", "2", "3", "4", "5" }));
        var heatmaps = plot.GetPlottables<Heatmap>().ToList();
        Assert.That(heatmaps, Has.Count.EqualTo(6), "the input and five maps");
        Assert.That(heatmaps[0].ManualRange, Is.EqualTo(new ScottPlot.Range(0, 1)), "the input in grey from 0 to 1");
        Assert.That(heatmaps[1].ManualRange, Is.EqualTo(new ScottPlot.Range(0, 10)), "non-negative maps from 0 up");
        Assert.That(plot.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>().Single().Label, Is.EqualTo("activation"));
        using var png = SKBitmap.Decode(path);
        Assert.That((png.Width, png.Height), Is.EqualTo((chart.Width, chart.Height)));
    }

    private static EpochResult Epoch(int epoch, double loss, double accuracy, double? heldOutLoss, double? heldOutAccuracy)
        => new(epoch, loss, accuracy, heldOutLoss, heldOutAccuracy, 1.0, 1000);

    [Test]
    public void CurvePictureShowsLossAndAccuracyInPercentForTrainingAndValidation()
    {
        string path = _temp.File("curves", "training.png");
        EpochResult[] epochs =
        [
            Epoch(1, 0.9, 0.68, 0.7, 0.75), Epoch(2, 0.55, 0.80, 0.5, 0.82), Epoch(3, 0.45, 0.84, null, null),
            Epoch(4, 0.41, 0.855, 0.42, 0.85), Epoch(5, 0.38, 0.866, 0.4, 0.86),
        ];

        var chart = CurvePicture.Create(epochs, "validation", "lenet5 on cpu");
        chart.Save(path);
        chart.Save(path); // overwrites in place

        var (header, loss, accuracy) = (chart.Plots[0], chart.Plots[1], chart.Plots[2]);
        Assert.That(header.Axes.Title.Label.Text, Is.EqualTo("lenet5 on cpu: 5 epochs"));
        Assert.That((loss.Axes.Left.Label.Text, loss.Axes.Bottom.Label.Text), Is.EqualTo(("cross-entropy loss", "epoch")));
        Assert.That((accuracy.Axes.Left.Label.Text, accuracy.Axes.Bottom.Label.Text), Is.EqualTo(("accuracy (%)", "epoch")));
        foreach (var panel in new[] { loss, accuracy })
            Assert.That(panel.GetPlottables<Scatter>().Select(s => s.LegendText), Is.EqualTo(new[] { "training", "validation" }));
        var trainAccuracy = accuracy.GetPlottables<Scatter>().First().Data.GetScatterPoints().Select(p => p.Y);
        Assert.That(trainAccuracy, Is.EqualTo(new[] { 68, 80, 84, 85.5, 86.6 }).Within(1e-9), "accuracy in percent");
        Assert.That(accuracy.Axes.GetLimits().Top, Is.GreaterThanOrEqualTo(100));
        Assert.That(loss.Axes.GetLimits().Bottom, Is.EqualTo(0));

        using var png = SKBitmap.Decode(path);
        Assert.That((png.Width, png.Height), Is.EqualTo((CurvePicture.Width, CurvePicture.Height)));
        Assert.That(CountPixels(png, 0, 44, png.Width, png.Height, IsBlue), Is.GreaterThan(300), "the training curves (blue)");
        Assert.That(CountPixels(png, 0, 44, png.Width, png.Height, IsOrange), Is.GreaterThan(300), "the validation curves (orange)");
        Assert.That(CountPixels(png, 0, 0, png.Width, 44, c => c.Red < 100 && c.Green < 100 && c.Blue < 100), Is.GreaterThan(50), "the title is drawn");
        Assert.That(Directory.GetFiles(_temp.File("curves"), "*.tmp*"), Is.Empty);
    }

    [Test]
    public void CurvePictureOfOneEpochShowsItsPoints()
    {
        var chart = CurvePicture.Create([Epoch(1, 0.5, 0.8, 0.45, 0.83)], "test", "convnet on cpu");
        using var png = SKBitmap.Decode(chart.ToPng());

        Assert.That(chart.Plots[0].Axes.Title.Label.Text, Is.EqualTo("convnet on cpu: 1 epoch"));
        Assert.That(chart.Plots[1].GetPlottables<Scatter>().Select(s => s.LegendText), Is.EqualTo(new[] { "training", "test" }));
        // Two markers (loss and accuracy) of each colour, plus the legend's: a line alone would be no pixels at all.
        Assert.That(CountPixels(png, 0, 44, png.Width, png.Height, IsBlue), Is.GreaterThan(80));
        Assert.That(CountPixels(png, 0, 44, png.Width, png.Height, IsOrange), Is.GreaterThan(80));
    }

    [Test]
    public void CurvePictureOfNoEpochIsRefused()
        => Assert.That(() => CurvePicture.Create([], "test", "nothing"), Throws.ArgumentException.With.Message.Contains("without epochs"));

    [Test]
    public void ALongTitleKeepsItsStartAndEndWithinTheFigure()
    {
        string spec = "conv32k3ps-bn-relu-conv32k3ps-bn-relu-maxpool2-conv64k3ps-bn-relu-conv64k3ps-bn-relu-maxpool2-flatten-dense256-bn-relu-dropout0.3-dense10 on cpu: 12 epochs";
        string shown = CurvePicture.Shorten(spec);
        Assert.That(shown, Has.Length.EqualTo(CurvePicture.MaxTitleLength));
        Assert.That(shown, Does.StartWith("conv32k3ps-bn-relu").And.EndWith("on cpu: 12 epochs").And.Contain("…"));
        Assert.That(CurvePicture.Shorten("lenet5 on cpu: 3 epochs"), Is.EqualTo("lenet5 on cpu: 3 epochs"));
    }

    // ------------------------------------------------------------------ helpers

    private static byte[] Concat(ReadOnlySpan<byte> header, byte[] body) => [.. header, .. body];

    private static void WritePng(string path, int width, int height, Func<int, SKColor> color)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int i = 0; i < width * height; i++) bitmap.SetPixel(i % width, i / width, color(i));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static bool IsBlue(SKColor c) => c.Blue > 150 && c.Red < 80 && c.Green is > 90 and < 150;     // ScottPlot's C0, #1f77b4

    private static bool IsOrange(SKColor c) => c.Red > 220 && c.Green is > 100 and < 160 && c.Blue < 60;  // ScottPlot's C1, #ff7f0e

    private static IEnumerable<string> Labels(ScottPlot.Plot plot) => plot.GetPlottables<ScottPlot.Plottables.Text>().Select(t => t.LabelText);

    private static int CountPixels(SKBitmap png, int x0, int y0, int x1, int y1, Func<SKColor, bool> match)
    {
        int n = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                if (match(png.GetPixel(x, y))) n++;
        return n;
    }
}
