using System.CommandLine;
using System.Globalization;
using CnnNative.Cli.Options;
using CnnNative.Models;
using CnnNative.Tensors;

namespace CnnNative.Cli.Commands;

/// <summary>`cnn summary`: the Keras-style table of a saved model, a built-in name or a spec.</summary>
public static class SummaryCommand
{
    private static readonly Argument<string> ModelArgument = new("MODEL")
    {
        Arity = ArgumentArity.ZeroOrOne,
        Description = "a saved model file, lenet5, convnet, or a spec such as conv8k5-relu-maxpool2-dense10 (or give it as --model)",
    };
    private static readonly Option<string> Model = CliOptions.Text("--model", "FILE|SPEC", "the same as MODEL");
    private static readonly Option<string> Input = CliOptions.Text("--input", "C,H,W", "input shape for a name or spec (default 1,28,28)");
    // Building a model only allocates its weights, which the reference device always can.
    private static readonly Option<string> Device = DeviceOption.Create("reference");
    private static readonly Option<bool> AllowNonFinite = SavedModel.AllowNonFinite();

    /// <summary>The command's name, description, argument and options.</summary>
    internal static Command Definition { get; } = new("summary",
        "Prints layers, output shapes and parameter counts. MODEL is a saved file if that path exists, else a built-in name or a spec.")
    {
        ModelArgument, Model, Input, Device, AllowNonFinite,
    };

    /// <summary>Runs `cnn summary`.</summary>
    public static int Run(ParseResult a, CliContext ctx)
    {
        string? positional = a.GetValue(ModelArgument);
        if (a.GetValue(Model) is not null && positional is not null)
            throw new UsageException("give the model either as MODEL or as --model, not both");
        // Errors name the model the way it was given: "invalid value for MODEL" or "... for --model".
        string given = positional is null ? "--model" : "MODEL";
        string model = a.GetValue(Model) ?? positional
            ?? throw new UsageException("'cnn summary' needs a MODEL: a saved file, lenet5, convnet or a spec (or --model)");
        string? input = a.GetValue(Input);

        using var device = DeviceOption.Open(a.GetValue(Device) ?? "reference", 0, ctx);
        if (File.Exists(model))
        {
            if (input is not null) throw new UsageException($"--input applies to a name or spec; the saved model {model} has its own input shape");
            using var saved = SavedModel.Load(model, device, ctx.LoggerFactory, a.GetValue(AllowNonFinite));
            ctx.Out.Write(saved.Model.Summary());
            return Program.Ok;
        }
        // "runs/model.safetensors" that is not there is a missing file, not a model spec with a strange token.
        if (model.Contains('/') || model.Contains('\\') || model.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new FileNotFoundException($"Model file '{model}' does not exist (given as {given}).", model);
        TrainCommand.CheckSpec(model, given);
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
