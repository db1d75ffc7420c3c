using CnnNative.Serialization;
using SkiaSharp;

namespace CnnNative.Cli.Pictures;

/// <summary>Writes pictures as every save in the project is written: atomically (<see cref="AtomicFile"/>).</summary>
public static class PictureFile
{
    /// <summary>Encodes <paramref name="image"/> as PNG and writes it atomically.</summary>
    public static void SavePng(string path, SKImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"{path}: Skia could not encode a {image.Width}x{image.Height} PNG.");
        AtomicFile.Write(path, data.SaveTo, createFolder: true);
    }
}
