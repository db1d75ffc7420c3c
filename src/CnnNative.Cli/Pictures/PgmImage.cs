using System.Text;
using CnnNative.Cli.Output;
using CnnNative.Data;
using CnnNative.Serialization;

namespace CnnNative.Cli.Pictures;

/// <summary>
/// A Netpbm grey map (PGM), plain (P2, ASCII numbers) or raw (P5, bytes), parsed by hand because Skia does not read
/// PGM and it is the simplest format to make a test image in. Pixels are scaled by the file's maxval to [0,1].
/// </summary>
public sealed class PgmImage
{
    private PgmImage(int width, int height, int maxValue, float[] pixels)
    {
        Width = width;
        Height = height;
        MaxValue = maxValue;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The file's maxval (255 for 8-bit; up to 65535, two bytes per sample in P5).</summary>
    public int MaxValue { get; }

    /// <summary>Height·Width values in [0,1], row-major, 0 black.</summary>
    public float[] Pixels { get; }

    /// <summary>Whether <paramref name="content"/> starts like a PGM file ("P2" or "P5").</summary>
    public static bool IsPgm(ReadOnlySpan<byte> content)
        => content.Length >= 2 && content[0] == (byte)'P' && (content[1] == (byte)'2' || content[1] == (byte)'5');

    /// <summary>Parses a P2 or P5 file's bytes; <paramref name="path"/> names the file in error messages.</summary>
    /// <exception cref="InvalidDataException">The content is not a complete PGM image.</exception>
    public static PgmImage Parse(string path, ReadOnlySpan<byte> content)
    {
        if (!IsPgm(content))
            throw Error(path, "not a PGM file (it does not start with P2 or P5)");
        bool plain = content[1] == (byte)'2';
        int pos = 2;
        int width = ReadHeaderNumber(path, content, ref pos, "width");
        int height = ReadHeaderNumber(path, content, ref pos, "height");
        int maxValue = ReadHeaderNumber(path, content, ref pos, "maxval");
        if (maxValue > 65535)
            throw Error(path, $"maxval {maxValue} is above 65535");
        ImageFile.CheckSize(path, width, height);

        // What the header claims is checked against what follows before the pixels are allocated.
        int count = width * height;
        long follows = Math.Max(0, content.Length - pos - 1);
        int bytesPerSample = maxValue < 256 ? 1 : 2;
        long need = plain ? 2L * count - 1 : (long)count * bytesPerSample;
        if (follows < need)
            throw Error(path, plain
                ? $"header says {width}x{height} pixels but only {Follow(follows)}, too few for {Counts.Of(count, "number")} (truncated file)"
                : $"header says {width}x{height} pixels = {Counts.Of(need, "byte")} but only {Follow(follows)} (truncated file)");
        var pixels = new float[count];
        float scale = 1f / maxValue;
        if (plain)
        {
            for (int i = 0; i < pixels.Length; i++)
            {
                int v = ReadNumber(path, content, ref pos, $"pixel {i} of {pixels.Length}");
                if (v > maxValue) throw Error(path, $"pixel {i} is {v}, above maxval {maxValue}");
                pixels[i] = v * scale;
            }
        }
        else
        {
            // Exactly one whitespace byte separates maxval from the raster (already consumed by ReadNumber's terminator check).
            pos++;
            var raster = content.Slice(pos);
            for (int i = 0; i < pixels.Length; i++)
            {
                int v = bytesPerSample == 1 ? raster[i] : raster[2 * i] << 8 | raster[2 * i + 1];
                if (v > maxValue) throw Error(path, $"pixel {i} is {v}, above maxval {maxValue}");
                pixels[i] = v * scale;
            }
        }
        return new PgmImage(width, height, maxValue, pixels);
    }

    /// <summary>Reads a PGM file.</summary>
    public static PgmImage Read(string path) => Parse(path, File.ReadAllBytes(path));

    /// <summary>Writes <paramref name="pixels"/> (values in [0,1], clamped) as an 8-bit P5 file, atomically.</summary>
    public static void Write(string path, ReadOnlySpan<float> pixels, int width, int height)
    {
        if (width <= 0 || height <= 0 || pixels.Length != width * height)
            throw new ArgumentException($"A {width}x{height} PGM needs {width * height} pixels, got {pixels.Length}.", nameof(pixels));
        var header = Encoding.ASCII.GetBytes($"P5\n{width} {height}\n255\n");
        var bytes = new byte[header.Length + pixels.Length];
        header.CopyTo(bytes, 0);
        for (int i = 0; i < pixels.Length; i++)
            bytes[header.Length + i] = (byte)MathF.Round(255f * Math.Clamp(pixels[i], 0f, 1f));
        AtomicFile.Write(path, bytes, createFolder: true);
    }

    private static int ReadHeaderNumber(string path, ReadOnlySpan<byte> content, ref int pos, string what)
    {
        int v = ReadNumber(path, content, ref pos, what);
        if (v <= 0) throw Error(path, $"{what} is {v}; it must be positive");
        return v;
    }

    /// <summary>Skips whitespace and # comments, then reads a decimal number that must end in whitespace or the end of the file.</summary>
    private static int ReadNumber(string path, ReadOnlySpan<byte> content, ref int pos, string what)
    {
        while (pos < content.Length)
        {
            byte b = content[pos];
            if (b == (byte)'#')
                while (pos < content.Length && content[pos] != (byte)'\n' && content[pos] != (byte)'\r') pos++;
            else if (IsSpace(b)) pos++;
            else break;
        }
        int start = pos;
        long value = 0;
        while (pos < content.Length && content[pos] is >= (byte)'0' and <= (byte)'9')
        {
            value = value * 10 + (content[pos] - '0');
            if (value > int.MaxValue) throw Error(path, $"{what} is too large");
            pos++;
        }
        if (pos == start)
            throw Error(path, pos >= content.Length
                ? $"the file ends before the {what} (truncated file)"
                : $"expected a number for the {what}, found '{(char)content[pos]}' at byte {pos}");
        if (pos < content.Length && !IsSpace(content[pos]))
            throw Error(path, $"expected whitespace after the {what} at byte {pos}, found '{(char)content[pos]}'");
        return (int)value;
    }

    /// <summary>"1 byte follows", "3 bytes follow".</summary>
    private static string Follow(long bytes) => $"{Counts.Of(bytes, "byte")} follow{(bytes == 1 ? "s" : "")}";

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;

    private static InvalidDataException Error(string path, string problem) => DataFormat.Error(path, problem);
}
