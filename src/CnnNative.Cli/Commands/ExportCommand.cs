using CnnNative.Cli.Options;
using CnnNative.Onnx;
using CnnNative.Serialization;

namespace CnnNative.Cli.Commands;

/// <summary>`cnn export`: a saved model as an ONNX file that ONNX Runtime, PyTorch tools or any ONNX reader can run.</summary>
public static class ExportCommand
{
    internal static ArgParser Parser { get; } = new ArgParser("export",
            $"Writes a saved model as ONNX (opset {OnnxFormat.Opset}, float32, input '{OnnxFormat.InputName}' with a free batch size, output '{OnnxFormat.OutputName}').")
        .Option("model", "FILE", "a model saved by cnn train (or cnn import)")
        .Option("onnx", "OUT", "the .onnx file to write (replaced atomically if it exists)");

    public static int Run(string[] args, CliContext ctx)
    {
        var a = Parser.Parse(args);
        string modelPath = a.Require("model");
        string onnxPath = a.Require("onnx");
        OutputPath.Prepare(onnxPath, "--onnx", createFolder: true);
        // Exporting reads the weights only, which the reference device always can.
        using var device = DeviceOption.Open("reference", 0, ctx);
        using var saved = SavedModel.Load(modelPath, device, ctx.LoggerFactory);
        saved.Model.ExportOnnx(onnxPath);
        ctx.Out.WriteLine($"wrote {onnxPath} ({new FileInfo(onnxPath).Length:N0} bytes, opset {OnnxFormat.Opset}): {saved.Model.Spec}, input (N, {string.Join(", ", saved.Model.InputShape.ToArray())})");
        return Program.Ok;
    }
}
