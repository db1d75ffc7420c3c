using CnnNative.Tests.Data;

namespace CnnNative.Tests.Cli;

/// <summary>
/// A tiny MNIST-format folder that a small network learns in a couple of epochs on the reference device: 28x28
/// images of two classes out of ten, class 0 bright on top and dark below, class 1 the other way round, with noise.
/// </summary>
internal static class SyntheticData
{
    public const int Side = 28;

    public static void Write(string folder, int trainCount = 200, int testCount = 100)
    {
        Directory.CreateDirectory(folder);
        WriteSet(folder, "train", trainCount, seed: 1);
        WriteSet(folder, "t10k", testCount, seed: 2);
    }

    /// <summary>One image of <paramref name="label"/> (0 or 1) as bytes.</summary>
    public static byte[] Image(int label, Random rng)
    {
        var pixels = new byte[Side * Side];
        for (int y = 0; y < Side; y++)
        {
            bool bright = (y < Side / 2) == (label == 0);
            for (int x = 0; x < Side; x++)
                pixels[y * Side + x] = (byte)(bright ? rng.Next(160, 256) : rng.Next(0, 60));
        }
        return pixels;
    }

    /// <summary>A P5 PGM file of one image of <paramref name="label"/>.</summary>
    public static void WritePgm(string path, int label)
    {
        var header = System.Text.Encoding.ASCII.GetBytes($"P5\n{Side} {Side}\n255\n");
        File.WriteAllBytes(path, [.. header, .. Image(label, new Random(label + 10))]);
    }

    private static void WriteSet(string folder, string prefix, int count, int seed)
    {
        var rng = new Random(seed);
        var labels = new byte[count];
        var pixels = new byte[count * Side * Side];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)(i % 2);
            Image(labels[i], rng).CopyTo(pixels, i * Side * Side);
        }
        IdxFiles.Write(Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), IdxFiles.Build(0x803, [count, Side, Side], pixels), gzip: false);
        IdxFiles.WriteLabels(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), labels);
    }
}
