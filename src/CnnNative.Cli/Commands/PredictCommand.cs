using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CnnNative.Cli.Options;
using CnnNative.Cli.Output;
using CnnNative.Cli.Pictures;
using CnnNative.Data;
using CnnNative.Serialization;

namespace CnnNative.Cli.Commands;

/// <summary>
/// `cnn predict`: classifies IDX images files and pictures, in any mix. One IDX file: the first 20 images and a count
/// per class; one picture: every class with its probability, most likely first; several inputs: a line per picture
/// and that listing per IDX file. With --json, one JSON document for scripts instead.
/// </summary>
/// <remarks>
/// IDX is recognised from the content (gzip, or the 00 00 TT DD magic of any IDX file), not the name, as the data
/// layer does; an IDX file that is not unsigned-byte images (labels, floats) is refused by the reader with a message
/// saying what it is, instead of being decoded as a picture. Every input is checked to exist before the model is
/// loaded, so a typo in the tenth file costs nothing.
/// </remarks>
public static class PredictCommand
{
    private const int Listed = 20;

    private static readonly Argument<string[]> Inputs = new("INPUT")
    {
        Arity = ArgumentArity.OneOrMore,
        Description = "idx3 images files (plain or gzipped) and pictures (PNG, PGM, JPEG, ...), one or more, in any mix",
    };
    private static readonly Option<string> Model = CliOptions.Text("--model", "FILE", "a model saved by cnn train", required: true);
    private static readonly Option<int?> Top = CliOptions.Int("--top", "K", "classes to show per image (default: all for a single picture, else 1)", min: 1);
    private static readonly Option<int?> Limit = CliOptions.Int("--limit", "N", "classify only the first N images of each IDX file", min: 1);
    private static readonly Option<bool> Json = CliOptions.Flag("--json",
        "print one JSON document instead: {\"model\", \"predictions\": [{\"input\", \"index\", \"class\", \"class_name\", \"probabilities\"}]}, one entry per image");
    private static readonly Option<string> Device = DeviceOption.Create("cpu");
    private static readonly Option<int?> Threads = DeviceOption.Threads();
    private static readonly Option<bool> AllowNonFinite = SavedModel.AllowNonFinite();

    /// <summary>The command's name, description, arguments and options.</summary>
    internal static Command Definition { get; } = new("predict", "Classifies the images of IDX files and PNG/PGM pictures with a saved model.")
    {
        Inputs, Model, Top, Limit, Json, Device, Threads, AllowNonFinite,
    };

    /// <summary>One input's images: how many, and each one's class probabilities (Count × classes).</summary>
    private sealed record Classified(string Input, bool Idx, int Count, float[] Probabilities);

    /// <summary>Runs `cnn predict`.</summary>
    public static int Run(ParseResult a, CliContext ctx)
    {
        string modelPath = a.GetValue(Model)!;
        string[] inputs = a.GetValue(Inputs)!;
        int? top = a.GetValue(Top);
        int limit = a.GetValue(Limit) ?? int.MaxValue;
        bool json = a.GetValue(Json);
        if (json && top is not null) throw new UsageException("--top shapes the text output; --json lists every class's probability");
        foreach (var input in inputs)
            if (FileKinds.CheckInputFile(input, problem => $"Input file {input} {problem}.") is { } missing) throw missing;
        bool[] idx = inputs.Select(IsIdx).ToArray();
        if (a.GetValue(Limit) is not null && !idx.Contains(true))
            throw new UsageException(inputs.Length == 1 ? "--limit applies to IDX files; a picture is one image" : "--limit applies to IDX files; every INPUT is a picture");

        using var device = DeviceOption.Open(a.GetValue(Device) ?? "cpu", a.GetValue(Threads) ?? 0, ctx);
        using var saved = SavedModel.Load(modelPath, device, ctx.LoggerFactory, a.GetValue(AllowNonFinite));
        // Everything is classified before anything is printed: a broken tenth picture fails the run, not half a document.
        var results = inputs.Select((input, i) => Classify(saved, input, idx[i], limit)).ToList();
        if (json) WriteJson(ctx.Out, modelPath, saved.ClassNames, results);
        else if (inputs.Length == 1)
        {
            var one = results.Single();
            if (one.Idx) WriteIdx(ctx.Out, saved.ClassNames, one, top ?? 1);
            else WritePicture(ctx.Out, saved.ClassNames, one, top ?? int.MaxValue);
        }
        else
            foreach (var r in results)
            {
                if (r.Idx)
                {
                    ctx.Out.WriteLine($"{r.Input}: {Counts.Of(r.Count, "image")}");
                    WriteIdx(ctx.Out, saved.ClassNames, r, top ?? 1);
                }
                else ctx.Out.WriteLine($"{r.Input}: {Ranked(saved.ClassNames, r.Probabilities, top ?? 1)}");
            }
        return Program.Ok;
    }

    private static Classified Classify(SavedModel saved, string path, bool idx, int limit)
    {
        if (!idx) return new Classified(path, false, 1, saved.Model.Predict(ImageFile.Load(path, saved.Model.InputShape)));

        var images = IdxReader.ReadImages(path, limit);
        var shape = saved.Model.InputShape;
        if (shape.Rank != 3 || shape[0] != 1 || shape[1] != images.Rows || shape[2] != images.Columns)
            throw new InvalidDataException($"{path} holds {images.Rows}x{images.Columns} grey images but the model {saved.Path} takes {shape}.");
        var pixels = new float[images.Count * images.Rows * images.Columns];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = images.Pixels[i] / 255f;
        return new Classified(path, true, images.Count, saved.Model.Predict(pixels));
    }

    /// <summary>"shirt.png: Shirt" and then every class (up to <paramref name="top"/>) with its probability.</summary>
    private static void WritePicture(TextWriter output, IReadOnlyList<string> names, Classified picture, int top)
    {
        var ranked = Rank(picture.Probabilities);
        output.WriteLine($"{picture.Input}: {names[ranked[0].Class]}");
        foreach (var (c, p) in ranked.Take(top))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {p * 100,6:F2} %  {names[c]}"));
    }

    /// <summary>The first <see cref="Listed"/> images with their top classes, then the count of images per predicted class.</summary>
    private static void WriteIdx(TextWriter output, IReadOnlyList<string> names, Classified file, int top)
    {
        var perClass = new int[names.Count];
        for (int i = 0; i < file.Count; i++)
        {
            var probabilities = file.Probabilities.AsSpan(i * names.Count, names.Count);
            perClass[Rank(probabilities)[0].Class]++;
            if (i < Listed) output.WriteLine($"{i,5}: {Ranked(names, probabilities, top)}");
        }
        if (file.Count > Listed) output.WriteLine($"  ... and {file.Count - Listed:N0} more");
        output.WriteLine($"predicted classes of {Counts.Of(file.Count, "image")}:");
        int width = names.Max(n => n.Length);
        for (int c = 0; c < names.Count; c++)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {names[c].PadRight(width)}  {perClass[c],7:N0}"));
    }

    /// <summary>"Shirt (81.2 %), T-shirt/top (12.0 %)": the <paramref name="top"/> most likely classes.</summary>
    private static string Ranked(IReadOnlyList<string> names, ReadOnlySpan<float> probabilities, int top)
        => string.Join(", ", Rank(probabilities).Take(top).Select(r => $"{names[r.Class]} ({EpochLine.Percent(r.Probability)})"));

    /// <summary>
    /// The --json document, written out input by input (one IDX file of 60,000 images is 8 MB of JSON). A probability
    /// that is not finite (a model loaded with --allow-non-finite) is null, as JSON has no NaN.
    /// </summary>
    private static void WriteJson(TextWriter output, string modelPath, IReadOnlyList<string> names, IEnumerable<Classified> results)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var json = new Utf8JsonWriter(buffer);
        void Flush()
        {
            json.Flush();
            output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
            buffer.ResetWrittenCount();
        }

        json.WriteStartObject();
        json.WriteString("model", modelPath);
        json.WriteStartArray("predictions");
        foreach (var r in results)
        {
            for (int i = 0; i < r.Count; i++)
            {
                var probabilities = r.Probabilities.AsSpan(i * names.Count, names.Count);
                int best = Rank(probabilities)[0].Class;
                json.WriteStartObject();
                json.WriteString("input", r.Input);
                json.WriteNumber("index", i);
                json.WriteNumber("class", best);
                json.WriteString("class_name", names[best]);
                json.WriteStartArray("probabilities");
                foreach (float p in probabilities)
                    if (float.IsFinite(p)) json.WriteNumberValue(p);
                    else json.WriteNullValue();
                json.WriteEndArray();
                json.WriteEndObject();
            }
            Flush();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        Flush();
        output.WriteLine();
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
