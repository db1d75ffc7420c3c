using System.CommandLine;
using CnnNative.Cli.Options;
using CnnNative.Cli.Output;
using CnnNative.Onnx;
using CnnNative.Serialization;

namespace CnnNative.Cli.Commands;

/// <summary>`cnn export`: a saved model as an ONNX file that ONNX Runtime, PyTorch tools or any ONNX reader can run.</summary>
public static class ExportCommand
{
    private static readonly Option<string> Model = CliOptions.Text("--model", "FILE", "a model saved by cnn train (or cnn import)", required: true);
    private static readonly Option<string> Onnx = CliOptions.Text("--onnx", "OUT", "the .onnx file to write (replaced atomically if it exists)", required: true);

    /// <summary>The command's name, description and options.</summary>
    internal static Command Definition { get; } = new("export",
        $"Writes a saved model as ONNX (opset {OnnxFormat.Opset}, float32, input '{OnnxFormat.InputName}' with a free batch size, output '{OnnxFormat.OutputName}').")
    {
        Model, Onnx,
    };

    /// <summary>Runs `cnn export`.</summary>
    public static int Run(ParseResult a, CliContext ctx)
    {
        string modelPath = a.GetValue(Model)!;
        string onnxPath = a.GetValue(Onnx)!;
        OutputPath.Prepare(onnxPath, "--onnx", createFolder: true);
        // Exporting reads the weights only, which the reference device always can.
        using var device = DeviceOption.Open("reference", 0, ctx);
        using var saved = SavedModel.Load(modelPath, device, ctx.LoggerFactory);
        saved.Model.ExportOnnx(onnxPath);
        ctx.Out.WriteLine($"wrote {onnxPath} ({Counts.Of(new FileInfo(onnxPath).Length, "byte")}, opset {OnnxFormat.Opset}): {saved.Model.Spec}, input (N, {string.Join(", ", saved.Model.InputShape.ToArray())})");
        return Program.Ok;
    }
}
