using CnnNative.Devices;
using CnnNative.Tensors;
using CnnNative.Training;
using Microsoft.Extensions.Logging;

namespace CnnNative.Onnx;

/// <summary><c>model.ExportOnnx(path)</c> and <c>Sequential.ImportOnnx(path, device)</c> (with <c>using CnnNative.Onnx;</c>).</summary>
public static class SequentialOnnxExtensions
{
    extension(Sequential model)
    {
        /// <summary>Writes the model as an ONNX file (see <see cref="OnnxExporter"/>).</summary>
        public void ExportOnnx(string path) => OnnxExporter.Export(model, path);
    }

    extension(Sequential)
    {
        /// <summary>Reads an ONNX model into a Sequential on <paramref name="device"/> (see <see cref="OnnxImporter"/>).</summary>
        public static Sequential ImportOnnx(string path, IDevice device, Shape? inputShape = null, ILoggerFactory? loggerFactory = null)
            => OnnxImporter.Import(path, device, inputShape, loggerFactory);
    }
}
