using System.Buffers.Binary;
using System.IO.Compression;

namespace CnnNative.Tests.Data;

/// <summary>Writes small IDX files for tests: a header as the format says, then the bytes, optionally gzipped.</summary>
internal static class IdxFiles
{
    public static byte[] Build(int magic, int[] dims, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes.AsSpan(4 + 4 * dims.Length));
        return bytes;
    }

    public static byte[] Gzip(byte[] plain)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(plain);
        return output.ToArray();
    }

    public static string Write(string path, byte[] content, bool gzip)
    {
        File.WriteAllBytes(path, gzip ? Gzip(content) : content);
        return path;
    }

    /// <summary>Images whose pixel i is (i·7 + 3) mod 256, so that every position has a known, distinct-ish value.</summary>
    public static byte[] Pixels(int count, int rows, int cols)
    {
        var p = new byte[count * rows * cols];
        for (int i = 0; i < p.Length; i++) p[i] = (byte)((i * 7 + 3) % 256);
        return p;
    }

    public static string WriteImages(string path, int count, int rows, int cols, bool gzip = false)
        => Write(path, Build(0x803, [count, rows, cols], Pixels(count, rows, cols)), gzip);

    public static string WriteLabels(string path, byte[] labels, bool gzip = false)
        => Write(path, Build(0x801, [labels.Length], labels), gzip);
}
