using System.CommandLine;
using CnnNative.Cli.Options;
using CnnNative.Cli.Output;
using CnnNative.Cli.Pictures;
using CnnNative.Layers;
using CnnNative.Serialization;
using CnnNative.Tensors;

namespace CnnNative.Cli.Commands;

/// <summary>
/// `cnn filters`: what the first convolution learned, as a picture; with --image also how that layer sees one
/// image (its feature maps).
/// </summary>
public static class FiltersCommand
{
    private static readonly Option<string> Model = CliOptions.Text("--model", "FILE", "a model saved by cnn train", required: true);
    private static readonly Option<string> Out = CliOptions.Text("--out", "PNG", "filters picture (default: the model's name with .filters.png)");
    private static readonly Option<string> Image = CliOptions.Text("--image", "INPUT", "also draw the first layer's feature maps for this PNG/PGM picture");
    private static readonly Option<string> MapsOut = CliOptions.Text("--maps-out", "PNG", "feature-map picture (default: the model's name with .maps.png)");
    private static readonly Option<string> Device = DeviceOption.Create("cpu");
    private static readonly Option<int?> Threads = DeviceOption.Threads();
    private static readonly Option<bool> AllowNonFinite = SavedModel.AllowNonFinite();

    /// <summary>The command's name, description and options.</summary>
    internal static Command Definition { get; } = new("filters", "Draws the first layer's filters of a saved model as a PNG (and, with --image, its feature maps of that image).")
    {
        Model, Out, Image, MapsOut, Device, Threads, AllowNonFinite,
    };

    /// <summary>Runs `cnn filters`.</summary>
    public static int Run(ParseResult a, CliContext ctx)
    {
        string modelPath = a.GetValue(Model)!;
        string outPath = a.GetValue(Out) ?? TrainCommand.SiblingPath(modelPath, ".filters.png");
        string? imagePath = a.GetValue(Image);
        string mapsPath = a.GetValue(MapsOut) ?? TrainCommand.SiblingPath(modelPath, ".maps.png");
        if (a.GetValue(MapsOut) is not null && imagePath is null) throw new UsageException("--maps-out needs --image");
        OutputPath.Prepare(outPath, "--out", createFolder: true);
        if (imagePath is not null) OutputPath.Prepare(mapsPath, "--maps-out", createFolder: true);

        using var device = DeviceOption.Open(a.GetValue(Device) ?? "cpu", a.GetValue(Threads) ?? 0, ctx);
        using var saved = SavedModel.Load(modelPath, device, ctx.LoggerFactory, a.GetValue(AllowNonFinite));
        var first = saved.Model.Layers[0];
        if (first is not Conv2d conv)
            throw new InvalidOperationException($"The first layer of {modelPath} is {first.Describe()}, not a convolution; it has no filters to draw.");
        SaveFilters(outPath, conv, Path.GetFileName(modelPath));
        ctx.Out.WriteLine($"{Counts.Of(conv.Filters, "filter")} of {conv.Weight.Shape[1]}x{conv.KernelH}x{conv.KernelW}: {outPath}");

        if (imagePath is not null)
        {
            var input = saved.Model.InputShape;
            var image = ImageFile.Load(imagePath, input);
            using var x = Tensor.FromSpan(device, input.WithBatch(1), image);
            var maps = conv.Forward(x, training: false);
            var shape = conv.OutputShape;
            FeatureMapPicture.Save(mapsPath, maps.ToArray(), shape[0], shape[1], shape[2], image, input[0], input[1], input[2],
                                   conv.Name, $"{Path.GetFileName(modelPath)} on {Path.GetFileName(imagePath)}");
            ctx.Out.WriteLine($"{Counts.Of(shape[0], "feature map")} of {shape[1]}x{shape[2]}: {mapsPath}");
        }
        return Program.Ok;
    }

    /// <summary>Writes <paramref name="conv"/>'s weights, laid out (K, C, R, S), as a filter grid titled with its name and <paramref name="source"/>.</summary>
    internal static void SaveFilters(string path, Conv2d conv, string source)
    {
        var w = conv.Weight.Shape;
        FilterPicture.Save(path, conv.Weight.Value.ToArray(), w[0], w[1], w[2], w[3], conv.Name, source);
    }
}
