namespace CnnNative.Data;

/// <summary>
/// The content of an idx3 image file: <see cref="Count"/> images of <see cref="Rows"/>×<see cref="Columns"/>
/// unsigned bytes, row-major, one image after the other, in a single array.
/// </summary>
public sealed class IdxImages
{
    internal IdxImages(string path, int count, int rows, int columns, byte[] pixels, int declaredCount)
    {
        DeclaredCount = declaredCount;
        Path = path;
        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
    }

    /// <summary>The file the images came from.</summary>
    public string Path { get; }

    /// <summary>How many images were read: the file's count, or fewer when a limit was given.</summary>
    public int Count { get; }

    /// <summary>How many images the file's header says it holds.</summary>
    public int DeclaredCount { get; }

    /// <summary>Height of every image, in pixels.</summary>
    public int Rows { get; }
    /// <summary>Width of every image, in pixels.</summary>
    public int Columns { get; }

    /// <summary>Count·Rows·Columns bytes, 0 (black) to 255 (white).</summary>
    public byte[] Pixels { get; }

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"Image {index} is outside 0..{Count - 1} of {Path}.");
        int size = Rows * Columns;
        return Pixels.AsSpan(index * size, size);
    }
}
