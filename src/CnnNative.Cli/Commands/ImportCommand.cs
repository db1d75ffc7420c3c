using System.CommandLine;
using CnnNative.Cli.Options;
using CnnNative.Onnx;
using CnnNative.Serialization;

namespace CnnNative.Cli.Commands;

/// <summary>`cnn import`: an ONNX model (e.g. exported from PyTorch) as a CnnNative model file for every other command.</summary>
public static class ImportCommand
{
    private static readonly Argument<string> Onnx = new("ONNX") { Description = "the .onnx file to read" };
    private static readonly Option<string> Out = CliOptions.Text("--out", "FILE", "the model file to write (.safetensors)", required: true);
    private static readonly Option<string> Input = CliOptions.Text("--input", "C,H,W", "one sample's shape, where the ONNX file leaves it free");

    /// <summary>The command's name, description, argument and options.</summary>
    internal static Command Definition { get; } = new("import",
        "Reads an ONNX model made of supported layers (Conv, Relu, Sigmoid, Tanh, MaxPool, AveragePool, Flatten/Reshape, " +
        "Gemm or MatMul+Add, Softmax, Dropout, Identity) and saves it as a CnnNative model file.")
    {
        Onnx, Out, Input,
    };

    /// <summary>Runs `cnn import`.</summary>
    public static int Run(ParseResult a, CliContext ctx)
    {
        string onnxPath = a.GetValue(Onnx)!;
        string outPath = a.GetValue(Out)!;
        var input = a.GetValue(Input) is { } text ? SummaryCommand.ParseShape(text) : (Tensors.Shape?)null;
        if (!File.Exists(onnxPath)) throw new FileNotFoundException($"ONNX file '{onnxPath}' does not exist.", onnxPath);
        OutputPath.Prepare(outPath, "--out", createFolder: true);
        // The imported weights only need to be held until they are saved, which the reference device always can.
        using var device = DeviceOption.Open("reference", 0, ctx);
        using var model = OnnxImporter.Import(onnxPath, device, input, ctx.LoggerFactory);
        model.Save(outPath, new Dictionary<string, string> { ["imported_from"] = Path.GetFileName(onnxPath) });
        ctx.Out.Write(model.Summary());
        ctx.Out.WriteLine($"wrote {outPath}");
        return Program.Ok;
    }
}
