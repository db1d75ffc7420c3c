using SkiaSharp;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// Writes pictures so that a reader never sees half a file: the bytes go to path + ".tmp", which then replaces
/// path in one rename (the rule every save in the project follows).
/// </summary>
public static class PictureFile
{
    /// <summary>Encodes <paramref name="image"/> as PNG and writes it atomically.</summary>
    public static void SavePng(string path, SKImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"{path}: Skia could not encode a {image.Width}x{image.Height} PNG.");
        WriteAtomic(path, data.AsSpan());
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> through a temporary file and a rename.</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        string tmp = path + ".tmp";
        try
        {
            using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            // Leave no stray .tmp behind when the write or the rename fails; the old file, if any, is untouched.
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
