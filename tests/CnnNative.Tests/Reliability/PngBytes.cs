using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CnnNative.Tests.Reliability;

/// <summary>
/// Builds PNG files chunk by chunk (so a test can claim any size in IHDR) and repairs chunk CRCs after a fuzzer
/// changed their bytes, so mutations reach the decoder instead of stopping at the checksum.
/// </summary>
internal static class PngBytes
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>An 8-bit grey PNG that claims width×height but holds only <paramref name="rows"/> zero rows of pixel data.</summary>
    public static byte[] Grey(int width, int height, int rows)
    {
        var raw = new byte[Math.Min((long)rows * (width + 1), 1 << 24)];
        using var zlib = new MemoryStream();
        using (var z = new ZLibStream(zlib, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth; colour type 0 (grey), no interlace
        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", zlib.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Recomputes the CRC of every complete chunk in place; bytes after the last complete chunk stay as they are.</summary>
    public static void FixCrcs(Span<byte> png)
    {
        if (png.Length < 8 || !png[..8].SequenceEqual(Signature)) return;
        int pos = 8;
        while (pos + 12 <= png.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            if (length > (uint)(png.Length - pos - 12)) return;
            int end = pos + 8 + (int)length;
            BinaryPrimitives.WriteUInt32BigEndian(png[end..], Crc(png[(pos + 4)..end]));
            pos = end + 4;
        }
    }

    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typed = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed.AsSpan(4));
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc(typed));
        s.Write(word);
    }

    private static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFF;
    }

    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
