using System.Globalization;
using CnnNative.Cli.Options;
using CnnNative.Cli.Output;
using CnnNative.Cli.Pictures;
using CnnNative.Data;
using CnnNative.Serialization;

namespace CnnNative.Cli.Commands;

/// <summary>
/// `cnn predict`: classifies an IDX images file (the first 20 and a count per class) or one picture (every
/// class with its probability, most likely first).
/// </summary>
/// <remarks>
/// IDX is recognised from the content (gzip, or the 00 00 TT DD magic of any IDX file), not the name, as the data
/// layer does; an IDX file that is not unsigned-byte images (labels, floats) is refused by the reader with a message
/// saying what it is, instead of being decoded as a picture.
/// </remarks>
public static class PredictCommand
{
    private const int Listed = 20;

    internal static ArgParser Parser { get; } = new ArgParser("predict", "Classifies the images of an IDX file or a PNG/PGM picture with a saved model.")
        .Positional("INPUT", "an idx3 images file (plain or gzipped) or a picture (PNG, PGM, JPEG, ...)")
        .Option("model", "FILE", "a model saved by cnn train")
        .Option("top", "K", "classes to show per image (default: all for a picture, 1 for IDX)")
        .Option("limit", "N", "classify only the first N images of an IDX file")
        .Option("device", "NAME", DeviceOption.Help + " (default cpu)")
        .Option("threads", "N", DeviceOption.ThreadsHelp)
        .Flag("allow-non-finite", SavedModel.AllowNonFiniteHelp);

    public static int Run(string[] args, CliContext ctx)
    {
        var a = Parser.Parse(args);
        string modelPath = a.Require("model");
        string input = a.RequirePositional(0, "an INPUT file (IDX images or a picture)");
        int? top = a.Has("top") ? a.Int("top", 1, min: 1) : null;
        int limit = a.Int("limit", int.MaxValue, min: 1);
        if (FileKinds.CheckInputFile(input, problem => $"Input file {input} {problem}.") is { } missing) throw missing;

        using var device = DeviceOption.Open(a.String("device", "cpu"), a.Int("threads", 0, min: 0), ctx);
        using var saved = SavedModel.Load(modelPath, device, ctx.LoggerFactory, a.Flag("allow-non-finite"));
        if (IsIdx(input)) PredictIdx(ctx, saved, input, top ?? 1, limit);
        else
        {
            if (a.Has("limit")) throw new UsageException("--limit applies to IDX files; a picture is one image");
            PredictPicture(ctx, saved, input, top ?? int.MaxValue);
        }
        return Program.Ok;
    }

    private static void PredictPicture(CliContext ctx, SavedModel saved, string path, int top)
    {
        var image = ImageFile.Load(path, saved.Model.InputShape);
        var probabilities = saved.Model.Predict(image);
        var names = saved.ClassNames;
        var ranked = Rank(probabilities);
        ctx.Out.WriteLine($"{path}: {names[ranked[0].Class]}");
        foreach (var (c, p) in ranked.Take(top))
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {p * 100,6:F2} %  {names[c]}"));
    }

    private static void PredictIdx(CliContext ctx, SavedModel saved, string path, int top, int limit)
    {
        var idx = IdxReader.ReadImages(path, limit);
        var shape = saved.Model.InputShape;
        if (shape.Rank != 3 || shape[0] != 1 || shape[1] != idx.Rows || shape[2] != idx.Columns)
            throw new InvalidDataException($"{path} holds {idx.Rows}x{idx.Columns} grey images but the model {saved.Path} takes {shape}.");
        int count = idx.Count, size = idx.Rows * idx.Columns;
        var pixels = new float[count * size];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = idx.Pixels[i] / 255f;

        var names = saved.ClassNames;
        var probabilities = saved.Model.Predict(pixels);
        var perClass = new int[names.Count];
        for (int i = 0; i < count; i++)
        {
            var ranked = Rank(probabilities.AsSpan(i * names.Count, names.Count));
            perClass[ranked[0].Class]++;
            if (i < Listed)
                ctx.Out.WriteLine($"{i,5}: " + string.Join(", ", ranked.Take(top).Select(r =>
                    string.Create(CultureInfo.InvariantCulture, $"{names[r.Class]} ({EpochLine.Percent(r.Probability)})"))));
        }
        if (count > Listed) ctx.Out.WriteLine($"  ... and {count - Listed:N0} more");
        ctx.Out.WriteLine($"predicted classes of {count:N0} images:");
        int width = names.Max(n => n.Length);
        for (int c = 0; c < names.Count; c++)
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {names[c].PadRight(width)}  {perClass[c],7:N0}"));
    }

    /// <summary>Classes by falling probability; ties keep class order.</summary>
    private static List<(int Class, float Probability)> Rank(ReadOnlySpan<float> probabilities)
    {
        var list = new List<(int, float)>(probabilities.Length);
        for (int c = 0; c < probabilities.Length; c++) list.Add((c, probabilities[c]));
        return list.OrderByDescending(x => x.Item2).ToList();
    }

    /// <summary>Gzip (1F 8B) or the magic of any IDX file (00 00 TT DD).</summary>
    private static bool IsIdx(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var file = File.OpenRead(path);
        int n = file.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        return (n >= 2 && head[0] == 0x1F && head[1] == 0x8B) || IdxReader.LooksLikeIdx(head[..n]);
    }
}
