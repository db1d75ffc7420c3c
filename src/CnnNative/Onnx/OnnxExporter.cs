using System.Reflection;
using CnnNative.Onnx.Protos;
using CnnNative.Serialization;
using CnnNative.Tensors;
using CnnNative.Training;
using Google.Protobuf;

namespace CnnNative.Onnx;

/// <summary>
/// Writes a <see cref="Sequential"/> as an ONNX model: standard opset <see cref="OnnxFormat.Opset"/>, float32, input
/// "input" of shape (N, C, H, W) with a free batch dimension N, output "output", one node per layer (see
/// <see cref="OnnxMappings"/>) and the weights as initializers named like the model's parameters.
/// </summary>
public static class OnnxExporter
{
    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically, as every save is written: to a temporary file beside
    /// it, then renamed over the target.
    /// </summary>
    public static void Export(Sequential model, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.Write(path, ToBytes(model));
    }

    /// <summary>The model as the bytes of an .onnx file (for an in-memory ONNX Runtime session, say).</summary>
    public static byte[] ToBytes(Sequential model) => ToModel(model).ToByteArray();

    internal static ModelProto ToModel(Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Layers.Count == 0) throw new InvalidOperationException("The model has no layers to export.");
        var graph = new GraphProto { Name = "cnnnative_sequential", DocString = model.Spec };
        graph.Input.Add(Value(OnnxFormat.InputName, model.InputShape));
        var writer = new OnnxGraphWriter(graph, OnnxFormat.InputName);
        foreach (var layer in model.Layers)
        {
            var mapping = OnnxMappings.ForLayer(layer)
                          ?? throw new NotSupportedException($"Layer {layer.Describe()} has no ONNX mapping; the model cannot be exported.");
            mapping.Export(layer, writer);
        }
        writer.RenameCurrent(OnnxFormat.OutputName);
        graph.Output.Add(Value(OnnxFormat.OutputName, model.OutputShape));

        var proto = new ModelProto
        {
            IrVersion = OnnxFormat.IrVersion,
            ProducerName = "CnnNative",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxFormat.Opset });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "cnnnative.spec", Value = model.Spec });
        return proto;
    }

    // A float32 tensor value (N, dims...) with N free.
    private static ValueInfoProto Value(string name, Shape shape)
    {
        var tensorShape = new TensorShapeProto();
        tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = OnnxFormat.BatchDimension });
        foreach (int d in shape.ToArray()) tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
        };
    }
}
