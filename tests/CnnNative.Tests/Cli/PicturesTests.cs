using System.Text;
using CnnNative.Cli.Pictures;
using CnnNative.Tensors;
using CnnNative.Tests.Data;
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

    [TestCase(6, 1, 5, 5, 4, 76, 52)]   // 3×2 grid of 5×5 tiles, 1-px gaps: (1 + 3·6)·4 by (1 + 2·6)·4
    [TestCase(2, 3, 3, 3, 2, 26, 18)]   // one row per filter, one column per channel: (1 + 3·4)·2 by (1 + 2·4)·2
    [TestCase(1, 1, 1, 1, 1, 3, 3)]
    public void FilterPictureHasTheGridSize(int k, int c, int r, int s, int scale, int width, int height)
    {
        var weights = Enumerable.Range(0, k * c * r * s).Select(i => MathF.Sin(i)).ToArray();
        string path = _temp.File("filters.png");

        FilterPicture.Save(path, weights, k, c, r, s, scale);

        using var png = SKBitmap.Decode(path);
        Assert.That(png, Is.Not.Null);
        Assert.That((png.Width, png.Height), Is.EqualTo((width, height)));
        Assert.That(File.Exists(path + ".tmp"), Is.False);
    }

    [Test]
    public void EachFilterIsNormalisedToItsOwnRange()
    {
        // Filter 0 spans 0..1, filter 1 spans 0..1000: both must show black and white.
        float[] weights = [0, 0.5f, 1, 0.25f, 0, 500, 1000, 250];
        string path = _temp.File("filters.png");

        FilterPicture.Save(path, weights, 2, 1, 2, 2, scale: 1);

        using var png = SKBitmap.Decode(path);
        // Grid of 2 columns: filter 0 at x 1..2, filter 1 at x 4..5, y 1..2.
        Assert.That(png.GetPixel(1, 1), Is.EqualTo(new SKColor(0, 0, 0)));
        Assert.That(png.GetPixel(1, 2), Is.EqualTo(new SKColor(255, 255, 255)));
        Assert.That(png.GetPixel(4, 1), Is.EqualTo(new SKColor(0, 0, 0)));
        Assert.That(png.GetPixel(5, 1), Is.EqualTo(new SKColor(128, 128, 128)));
        Assert.That(png.GetPixel(4, 2), Is.EqualTo(new SKColor(255, 255, 255)));
        Assert.That(png.GetPixel(0, 0).Blue, Is.GreaterThan(png.GetPixel(0, 0).Red), "gaps are coloured, not grey");
    }

    [Test]
    public void FilterPictureRejectsTooFewWeights()
        => Assert.That(() => FilterPicture.Save(_temp.File("f.png"), new float[10], 2, 1, 3, 3, 4),
            Throws.ArgumentException.With.Message.Contains("need 18 weights, got 10"));

    [Test]
    public void FeatureMapPictureHasTheGridSize()
    {
        var maps = Enumerable.Range(0, 5 * 6 * 7).Select(i => (float)(i % 11)).ToArray();
        string path = _temp.File("maps.png");

        FeatureMapPicture.Save(path, maps, 5, 6, 7, scale: 3);

        using var png = SKBitmap.Decode(path);
        // 5 maps in a 3-column grid (2 rows) of 7-wide, 6-high tiles.
        Assert.That((png.Width, png.Height), Is.EqualTo(((1 + 3 * 8) * 3, (1 + 2 * 7) * 3)));
    }

    [Test]
    public void CurvePictureIsAReadableChart()
    {
        string path = _temp.File("curves", "training.png");
        CurveSeries[] series =
        [
            new("training loss", [0.9, 0.55, 0.45, 0.41, 0.38]),
            new("training accuracy", [0.68, 0.80, 0.84, 0.855, 0.866], CurveAxis.Right),
            new("test accuracy", [0.75, 0.82, double.NaN, 0.85, 0.86], CurveAxis.Right),
        ];

        CurvePicture.Save(path, series);
        CurvePicture.Save(path, series, "Fashion-MNIST"); // overwrites in place

        using var png = SKBitmap.Decode(path);
        Assert.That((png.Width, png.Height), Is.EqualTo((640, 400)));
        Assert.That(CountPixels(png, 0, 0, 640, 400, c => c.Blue > 150 && c.Red < 80), Is.GreaterThan(50), "the first curve is drawn in blue");
        Assert.That(CountPixels(png, 0, 60, 56, 350, c => c.Red < 100 && c.Green < 100 && c.Blue < 100), Is.GreaterThan(30),
            "left tick labels are drawn (a font was found)");
        Assert.That(File.Exists(path + ".tmp"), Is.False);
    }

    [Test]
    public void CurvePictureOfOneEpochWorks()
    {
        string path = _temp.File("one.png");
        CurvePicture.Save(path, [new CurveSeries("loss", [0.5])], width: 320, height: 200);
        using var png = SKBitmap.Decode(path);
        Assert.That((png.Width, png.Height), Is.EqualTo((320, 200)));
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

    private static int CountPixels(SKBitmap png, int x0, int y0, int x1, int y1, Func<SKColor, bool> match)
    {
        int n = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                if (match(png.GetPixel(x, y))) n++;
        return n;
    }
}
