using CnnNative.Cli.Options;
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
    internal static ArgParser Parser { get; } = new ArgParser("filters", "Draws the first layer's filters of a saved model as a PNG.")
        .Option("model", "FILE", "a model saved by cnn train")
        .Option("out", "PNG", "filters picture (default: the model's name with .filters.png)")
        .Option("image", "INPUT", "also draw the first layer's feature maps for this PNG/PGM picture")
        .Option("maps-out", "PNG", "feature-map picture (default: the model's name with .maps.png)")
        .Option("device", "NAME", DeviceOption.Help + " (default cpu)")
        .Option("threads", "N", DeviceOption.ThreadsHelp)
        .Flag("allow-non-finite", SavedModel.AllowNonFiniteHelp);

    public static int Run(string[] args, CliContext ctx)
    {
        var a = Parser.Parse(args);
        string modelPath = a.Require("model");
        string outPath = a.String("out", TrainCommand.SiblingPath(modelPath, ".filters.png"));
        string? imagePath = a.String("image");
        string mapsPath = a.String("maps-out", TrainCommand.SiblingPath(modelPath, ".maps.png"));
        if (a.Has("maps-out") && imagePath is null) throw new UsageException("--maps-out needs --image");
        OutputPath.Prepare(outPath, "--out", createFolder: true);
        if (imagePath is not null) OutputPath.Prepare(mapsPath, "--maps-out", createFolder: true);

        using var device = DeviceOption.Open(a.String("device", "cpu"), a.Int("threads", 0, min: 0), ctx);
        using var saved = SavedModel.Load(modelPath, device, ctx.LoggerFactory, a.Flag("allow-non-finite"));
        var first = saved.Model.Layers[0];
        if (first is not Conv2d conv)
            throw new InvalidOperationException($"The first layer of {modelPath} is {first.Describe()}, not a convolution; it has no filters to draw.");
        SaveFilters(outPath, conv);
        ctx.Out.WriteLine($"{conv.Filters} filters of {conv.Weight.Shape[1]}x{conv.KernelH}x{conv.KernelW}: {outPath}");

        if (imagePath is not null)
        {
            var image = ImageFile.Load(imagePath, saved.Model.InputShape);
            using var x = Tensor.FromSpan(device, saved.Model.InputShape.WithBatch(1), image);
            var maps = conv.Forward(x, training: false);
            var shape = conv.OutputShape;
            FeatureMapPicture.Save(mapsPath, maps.ToArray(), shape[0], shape[1], shape[2]);
            ctx.Out.WriteLine($"{shape[0]} feature maps of {shape[1]}x{shape[2]}: {mapsPath}");
        }
        return Program.Ok;
    }

    /// <summary>Writes <paramref name="conv"/>'s weights, laid out (K, C, R, S), as a filter grid.</summary>
    internal static void SaveFilters(string path, Conv2d conv)
    {
        var w = conv.Weight.Shape;
        FilterPicture.Save(path, conv.Weight.Value.ToArray(), w[0], w[1], w[2], w[3]);
    }
}
