using System.Buffers.Binary;
using System.IO.Compression;
using CnnNative.Serialization;

namespace CnnNative.Data;

/// <summary>
/// Reads the MNIST IDX format (http://yann.lecun.com/exdb/mnist/): a big-endian header — magic
/// 0x0000TTDD (TT the element type, 0x08 = unsigned byte; DD the number of dimensions), then one 32-bit
/// size per dimension — followed by the elements. Files may be gzipped; that is detected from the first
/// two bytes (1F 8B), not from the name, because renamed and decompressed copies are common.
/// </summary>
/// <remarks>
/// Every check a real file can fail has its own message, starting with the path, and throws
/// <see cref="InvalidDataException"/> made by <see cref="DataFormat.Error"/>: a wrong file or a half-finished download must not turn into a
/// silently wrong data set. The elements are read straight into one array (no per-image allocation).
/// Memory follows what is really there, not what a header claims: a plain file's length is checked against its
/// header before anything is allocated, and a gzipped one is read in growing steps, so a small file that claims a
/// million images costs no more than it holds. With a limit, only the first items are read (and allocated), and a
/// gzipped file is not decompressed past them.
/// </remarks>
public static class IdxReader
{
    /// <summary>Magic number of an idx3 file of unsigned bytes (images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an idx1 file of unsigned bytes (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    private const byte UnsignedByte = 0x08;

    // A gzipped file's data is read in steps that start here and double, up to what its header claims.
    private const int FirstStep = 1 << 20;

    /// <summary>Reads an idx3 file of unsigned bytes (count × rows × columns).</summary>
    /// <param name="path">The file, plain or gzipped.</param>
    /// <param name="limit">Read only the first <paramref name="limit"/> images (all when the file has fewer).</param>
    /// <exception cref="InvalidDataException">The content is not a complete, well-formed idx3 u8 file.</exception>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static IdxImages ReadImages(string path, int limit = int.MaxValue)
    {
        var content = Read(path, ImagesMagic, "idx3 images", static d => $"{d[0]} images of {d[1]}x{d[2]}", limit);
        return new IdxImages(path, content.Items, content.Dims[1], content.Dims[2], content.Data, content.Dims[0]);
    }

    /// <summary>Reads an idx1 file of unsigned bytes (one label per item).</summary>
    /// <exception cref="InvalidDataException">The content is not a complete, well-formed idx1 u8 file.</exception>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static byte[] ReadLabels(string path) => ReadLabels(path, int.MaxValue, out _);

    /// <summary>Reads the first <paramref name="limit"/> labels of an idx1 file; <paramref name="declaredCount"/> is how many its header says it holds.</summary>
    /// <exception cref="InvalidDataException">The content is not a complete, well-formed idx1 u8 file.</exception>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static byte[] ReadLabels(string path, int limit, out int declaredCount)
    {
        var content = Read(path, LabelsMagic, "idx1 labels", static d => $"{d[0]} labels", limit);
        declaredCount = content.Dims[0];
        return content.Data;
    }

    /// <summary>
    /// Whether <paramref name="head"/> (a file's first bytes) starts like an IDX file of any element type and rank:
    /// 00 00, a type byte the format defines, then 1 to 4 dimensions.
    /// </summary>
    public static bool LooksLikeIdx(ReadOnlySpan<byte> head)
        => head.Length >= 4 && head[0] == 0 && head[1] == 0 && ElementType(head[2]) is not null && head[3] is >= 1 and <= 4;

    /// <summary>What <see cref="Read"/> found in a file.</summary>
    /// <param name="Dims">The sizes the header declares, the item count first.</param>
    /// <param name="Items">How many items (first-dimension entries) <see cref="Data"/> holds: the header's count or the limit.</param>
    /// <param name="Data">The elements of those items, in file order.</param>
    private readonly record struct IdxContent(int[] Dims, int Items, byte[] Data);

    private static IdxContent Read(string path, int expectedMagic, string kind, Func<int[], string> describe, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        if (FileKinds.CheckInputFile(path, problem => $"{path} {problem}") is { } error) throw error;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        bool gzipped = IsGzip(file);
        try
        {
            using Stream stream = gzipped ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            return ReadContent(path, stream, gzipped ? null : file.Length, expectedMagic, kind, describe, limit);
        }
        catch (InvalidDataException ex) when (!DataFormat.NamesFile(ex))
        {
            // GZipStream's own message ("Found invalid data while decoding") names no file.
            throw DataFormat.Error(path, $"the gzip stream is corrupt ({ex.Message})", ex);
        }
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> head = stackalloc byte[2];
        int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return n == 2 && head[0] == 0x1F && head[1] == 0x8B;
    }

    // plainLength: the file's length when it is not compressed (checked before reading); null for gzip.
    private static IdxContent ReadContent(string path, Stream stream, long? plainLength,
        int expectedMagic, string kind, Func<int[], string> describe, int limit)
    {
        int rank = expectedMagic & 0xFF;
        int headerLength = 4 + 4 * rank;
        Span<byte> header = stackalloc byte[headerLength];

        int got = stream.ReadAtLeast(header.Slice(0, 4), 4, throwOnEndOfStream: false);
        if (got < 4)
            throw DataFormat.Error(path, $"the file ends after {got} bytes, inside the {headerLength}-byte {kind} header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
            throw DataFormat.Error(path, $"expected magic 0x{expectedMagic:X8} ({kind}), found 0x{magic:X8}{DescribeMagic(magic, expectedMagic)}");

        got += stream.ReadAtLeast(header.Slice(4), headerLength - 4, throwOnEndOfStream: false);
        if (got < headerLength)
            throw DataFormat.Error(path, $"the file ends after {got} bytes, inside the {headerLength}-byte {kind} header");

        var dims = new int[rank];
        long size = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(header.Slice(4 + 4 * i));
            if (d == 0 || d > int.MaxValue)
                throw DataFormat.Error(path, $"dimension {i} of the {kind} header is {d}; every dimension must be between 1 and {int.MaxValue}");
            dims[i] = (int)d;
            size *= d;
            if (size > Array.MaxLength)
                throw DataFormat.Error(path, $"the {kind} header asks for more than {Array.MaxLength} bytes of data");
        }

        string says = $"header says {describe(dims)} = {size} bytes";
        if (plainLength is long length && length - headerLength != size)
        {
            // Checked before allocating, so a damaged header cannot make us allocate gigabytes first.
            long follow = length - headerLength;
            throw DataFormat.Error(path, follow < size
                ? $"{says} but only {follow} bytes follow (truncated file)"
                : $"{says} but {follow} bytes follow ({follow - size} trailing bytes)");
        }

        int items = Math.Min(dims[0], limit);
        long itemSize = size / dims[0];
        var data = plainLength is null ? ReadGrowing(stream, (int)(items * itemSize)) : ReadExactly(stream, (int)(items * itemSize));
        if (data.Length < items * itemSize)
            throw DataFormat.Error(path, $"{says} but only {data.Length} bytes follow (truncated file)");
        if (items == dims[0])
        {
            long trailing = CountRemaining(stream);
            if (trailing > 0)
                throw DataFormat.Error(path, $"{says} but {size + trailing} bytes follow ({trailing} trailing bytes)");
        }
        return new IdxContent(dims, items, data);
    }

    /// <summary>Up to <paramref name="count"/> bytes; shorter only when the stream ends first.</summary>
    private static byte[] ReadExactly(Stream stream, int count)
    {
        var data = new byte[count];
        int read = stream.ReadAtLeast(data, count, throwOnEndOfStream: false);
        return read == count ? data : data[..read];
    }

    /// <summary>Like <see cref="ReadExactly"/>, but the array grows with what arrives, so a stream shorter than claimed costs only what it holds.</summary>
    private static byte[] ReadGrowing(Stream stream, int count)
    {
        var data = new byte[Math.Min(count, FirstStep)];
        int filled = 0;
        while (true)
        {
            filled += stream.ReadAtLeast(data.AsSpan(filled), data.Length - filled, throwOnEndOfStream: false);
            if (filled < data.Length) return data[..filled];
            if (filled == count) return data;
            Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
        }
    }

    private static long CountRemaining(Stream stream)
    {
        Span<byte> scratch = stackalloc byte[4096];
        long total = 0;
        int n;
        while ((n = stream.Read(scratch)) > 0) total += n;
        return total;
    }

    private static string DescribeMagic(int magic, int expected)
    {
        if (magic == LabelsMagic) return " (idx1 labels: is this the labels file?)";
        if (magic == ImagesMagic) return " (idx3 images: is this the images file?)";
        if ((magic >>> 16) != 0) return " (not an IDX file)";
        byte type = (byte)(magic >> 8), rank = (byte)magic;
        if (type != UnsignedByte)
            return $" (element type 0x{type:X2}{(ElementType(type) is { } name ? ", " + name : "")}; only 0x08, unsigned byte, is supported)";
        return $" ({rank} dimensions; expected {expected & 0xFF})";
    }

    /// <summary>The element types the IDX format defines.</summary>
    private static string? ElementType(byte code) => code switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => null,
    };
}
