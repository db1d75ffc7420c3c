using CnnNative.Cli.Output;
using CnnNative.Data;
using CnnNative.Serialization;
using CnnNative.Tensors;
using SkiaSharp;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// Loads a picture for <c>cnn predict</c> as the model's input: C·H·W floats in [0,1].
/// </summary>
/// <remarks>
/// PGM (P2/P5) is parsed by hand (<see cref="PgmImage"/>); everything else (PNG, and whatever Skia decodes: JPEG, WebP,
/// BMP, GIF) goes through SkiaSharp. The format is recognised from the content, not the extension. A picture of
/// another size is resized to H×W (linear filtering with mipmaps, so large pictures are averaged down, not sampled).
/// Colour becomes grey with the Rec. 601 weights when C = 1; transparent pixels count as black, the background of
/// the IDX data. No inversion: Fashion-MNIST is a light object on a black background, and so must the picture be.
/// A picture's size is read from its header before anything is decoded: more than <see cref="MaxPixels"/> pixels
/// (or a file over <see cref="MaxFileBytes"/>) is refused, so a small file claiming 30000x30000 costs nothing.
/// </remarks>
public static class ImageFile
{
    /// <summary>The most pixels a picture may have: 64 Mpixel (64·2²⁰), 256 MiB as decoded RGBA.</summary>
    public const long MaxPixels = 64L << 20;

    /// <summary>The largest picture file read (a 64 Mpixel 32-bit BMP is 256 MiB).</summary>
    public const long MaxFileBytes = 300L << 20;

    /// <summary>What Skia decodes for us; other formats it knows (WBMP, ICO, HEIF, raw) are refused.</summary>
    private static readonly SKEncodedImageFormat[] Decoded =
        [SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Webp, SKEncodedImageFormat.Bmp, SKEncodedImageFormat.Gif];

    /// <summary>Loads <paramref name="path"/> as an image of <paramref name="inputShape"/>: (C,H,W) with C = 1 or 3, or (H,W).</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable image (the message names it).</exception>
    public static float[] Load(string path, Shape inputShape)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (channels, height, width) = inputShape.Rank switch
        {
            3 when inputShape[0] is 1 or 3 => (inputShape[0], inputShape[1], inputShape[2]),
            2 => (1, inputShape[0], inputShape[1]),
            _ => throw new ArgumentException($"Pictures load as (1,H,W) grey or (3,H,W) colour; the model's input shape is {inputShape}.", nameof(inputShape)),
        };
        if (FileKinds.CheckInputFile(path, problem => $"Image file {path} {problem}.") is { } error) throw error;
        long length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
            throw DataFormat.Error(path, $"the file holds {length:N0} bytes; pictures over {MaxFileBytes >> 20} MiB are refused");
        byte[] content = File.ReadAllBytes(path);

        if (PgmImage.IsPgm(content))
        {
            var pgm = PgmImage.Parse(path, content);
            // Same size and grey: use the parsed values as they are (keeps 16-bit precision, no round trip through Skia).
            if (pgm.Width == width && pgm.Height == height && channels == 1) return pgm.Pixels;
            using var grey = ToBitmap(pgm);
            return Extract(path, grey, channels, height, width);
        }

        using var decoded = Decode(path, content);
        return Extract(path, decoded, channels, height, width);
    }

    /// <summary>Throws unless a picture of <paramref name="width"/>×<paramref name="height"/> is at most <see cref="MaxPixels"/>.</summary>
    internal static void CheckSize(string path, long width, long height)
    {
        if (width * height > MaxPixels)
            throw DataFormat.Error(path, $"the picture is {width}x{height} = {width * height:N0} pixels, more than the {MaxPixels >> 20} Mpixel ({MaxPixels:N0} pixels) a picture may have");
    }

    /// <summary>Loads <paramref name="path"/> as a grey (1, height, width) image.</summary>
    public static float[] Load(string path, int height = 28, int width = 28) => Load(path, new Shape(1, height, width));

    private static SKBitmap Decode(string path, byte[] content)
    {
        using var data = SKData.CreateCopy(content);
        using var codec = SKCodec.Create(data)
            ?? throw DataFormat.Error(path, $"not an image Skia can read (PNG, JPEG, WebP, BMP, GIF) nor a PGM ({Counts.Of(content.Length, "byte")})");
        if (!Decoded.Contains(codec.EncodedFormat))
            throw DataFormat.Error(path, $"a {codec.EncodedFormat} image; pictures are read from PNG, JPEG, WebP, BMP, GIF or PGM");
        CheckSize(path, codec.Info.Width, codec.Info.Height);
        // Premultiplied RGBA: premultiplying by alpha is exactly "composited over black".
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        // Zeroed (calloc'd, so untouched pages cost nothing) and said to be: Skia then does not fill the rows a
        // truncated file lacks, which took seconds for a 200-byte PNG claiming 2096x30000 (found by fuzzing).
        var bitmap = new SKBitmap(info, SKBitmapAllocFlags.ZeroPixels);
        var result = codec.GetPixels(info, bitmap.GetPixels(), new SKCodecOptions(SKZeroInitialized.Yes));
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw DataFormat.Error(path, $"the {codec.EncodedFormat} image could not be decoded ({result})");
        }
        return bitmap;
    }

    private static SKBitmap ToBitmap(PgmImage pgm)
    {
        var bitmap = new SKBitmap(new SKImageInfo(pgm.Width, pgm.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var pixels = bitmap.GetPixelSpan();
        for (int i = 0; i < pgm.Pixels.Length; i++)
        {
            byte g = (byte)MathF.Round(255f * pgm.Pixels[i]);
            pixels[4 * i] = pixels[4 * i + 1] = pixels[4 * i + 2] = g;
            pixels[4 * i + 3] = 255;
        }
        return bitmap;
    }

    private static float[] Extract(string path, SKBitmap source, int channels, int height, int width)
    {
        SKBitmap bitmap = source;
        if (source.Width != width || source.Height != height)
        {
            bitmap = source.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul),
                         new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
                     ?? throw DataFormat.Error(path, $"resizing the {source.Width}x{source.Height} image to {width}x{height} failed");
        }
        try
        {
            var pixels = bitmap.GetPixelSpan();
            int plane = height * width;
            var result = new float[channels * plane];
            for (int i = 0; i < plane; i++)
            {
                float r = pixels[4 * i] / 255f, g = pixels[4 * i + 1] / 255f, b = pixels[4 * i + 2] / 255f;
                if (channels == 1)
                    result[i] = Math.Clamp(0.299f * r + 0.587f * g + 0.114f * b, 0f, 1f);
                else
                {
                    result[i] = r;
                    result[plane + i] = g;
                    result[2 * plane + i] = b;
                }
            }
            return result;
        }
        finally
        {
            if (!ReferenceEquals(bitmap, source)) bitmap.Dispose();
        }
    }
}
