using System.Globalization;
using CnnNative.Cli.Options;
using CnnNative.Models;
using CnnNative.Tensors;

namespace CnnNative.Cli.Commands;

/// <summary>`cnn summary`: the Keras-style table of a saved model, a built-in name or a spec.</summary>
public static class SummaryCommand
{
    internal static ArgParser Parser { get; } = new ArgParser("summary",
            "Prints layers, output shapes and parameter counts. MODEL is a saved file if that path exists, else a built-in name or a spec.")
        .Positional("MODEL", "same as --model", required: false)
        .Option("model", "FILE|SPEC", "a saved model, lenet5, convnet, or a spec such as conv8k5-relu-maxpool2-dense10")
        .Option("input", "C,H,W", "input shape for a name or spec (default 1,28,28)")
        // Building a model only allocates its weights, which the reference device always can.
        .Option("device", "NAME", DeviceOption.Help + " (default reference)")
        .Flag("allow-non-finite", SavedModel.AllowNonFiniteHelp);

    public static int Run(string[] args, CliContext ctx)
    {
        var a = Parser.Parse(args);
        if (a.Has("model") && a.Positional(0) is not null)
            throw new UsageException("give the model either as MODEL or as --model, not both");
        string model = a.String("model") ?? a.RequirePositional(0, "a model: a saved file, lenet5, convnet or a spec");
        string? input = a.String("input");

        using var device = DeviceOption.Open(a.String("device", "reference"), 0, ctx);
        if (File.Exists(model))
        {
            if (input is not null) throw new UsageException("--input applies to a name or spec; a saved model has its own input shape");
            using var saved = SavedModel.Load(model, device, ctx.LoggerFactory, a.Flag("allow-non-finite"));
            ctx.Out.Write(saved.Model.Summary());
            return Program.Ok;
        }
        // "runs/model.safetensors" that is not there is a missing file, not a model spec with a strange token.
        if (model.Contains('/') || model.Contains('\\') || model.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new FileNotFoundException($"Model file '{model}' does not exist.", model);
        TrainCommand.CheckSpec(model);
        using var built = ModelBuilder.Build(model, device, ParseShape(input ?? "1,28,28"), loggerFactory: ctx.LoggerFactory);
        ctx.Out.Write(built.Summary());
        return Program.Ok;
    }

    internal static Shape ParseShape(string text)
    {
        var parts = text.Split(',');
        var dims = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]) || dims[i] <= 0)
                throw new UsageException($"invalid value '{text}' for --input: expected positive sizes C,H,W such as 1,28,28");
        if (dims.Length != 3) throw new UsageException($"invalid value '{text}' for --input: expected three sizes C,H,W such as 1,28,28");
        return new Shape(dims);
    }
}
