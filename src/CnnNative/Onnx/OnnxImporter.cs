using CnnNative.Devices;
using CnnNative.Onnx.Protos;
using CnnNative.Tensors;
using CnnNative.Training;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CnnNative.Onnx;

/// <summary>
/// Reads an ONNX model that is a chain of supported layers (what a small PyTorch or Keras CNN exports) into a
/// <see cref="Sequential"/> on a device. The graph is walked from its input: each node must read the value the chain
/// has reached plus constants, and map to a layer (<see cref="OnnxMappings"/>). The first node outside that subset is
/// refused with <see cref="NotSupportedException"/> naming its op type, name and domain; a malformed file gets
/// <see cref="InvalidDataException"/>.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Imports the ONNX model at <paramref name="path"/>.</summary>
    /// <param name="path">An .onnx file.</param>
    /// <param name="device">Device the model's layers run on.</param>
    /// <param name="inputShape">(C, H, W) or (features) of one sample; needed only where the file leaves those sizes free.</param>
    /// <param name="loggerFactory">Logs what was imported.</param>
    public static Sequential Import(string path, IDevice device, Shape? inputShape = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        return Import(stream, device, inputShape, loggerFactory, path);
    }

    /// <summary>Imports an ONNX model from <paramref name="stream"/>; <paramref name="source"/> names it in messages.</summary>
    public static Sequential Import(Stream stream, IDevice device, Shape? inputShape = null, ILoggerFactory? loggerFactory = null, string source = "the stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(device);
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(stream); }
        catch (InvalidProtocolBufferException e) { throw new InvalidDataException($"'{source}' is not an ONNX model: {e.Message}", e); }
        var graph = proto.Graph ?? throw new InvalidDataException($"'{source}' is not an ONNX model: it has no graph.");
        var opset = proto.OpsetImport.Where(o => OnnxFormat.IsStandardDomain(o.Domain)).Select(o => (long?)o.Version).Max()
                    ?? throw new InvalidDataException($"ONNX model '{source}' imports no version of the standard operator set.");
        if (opset < OnnxFormat.OldestImportedOpset)
            throw new NotSupportedException($"ONNX model '{source}' uses opset {opset}; CnnNative reads opset {OnnxFormat.OldestImportedOpset} and later.");

        var reader = new OnnxGraphReader(graph, opset);
        var inputs = graph.Input.Where(i => !reader.IsConstant(i.Name)).ToList(); // old files list initializers as inputs too
        if (inputs.Count != 1)
            throw new NotSupportedException($"ONNX model '{source}' has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); CnnNative imports models with one.");
        if (graph.Output.Count != 1)
            throw new NotSupportedException($"ONNX model '{source}' has {graph.Output.Count} outputs; CnnNative imports models with one.");
        var input = inputs[0];
        var shape = SampleShape(input, inputShape, source);

        var model = new Sequential(device, shape, seed: 0, loggerFactory);
        try
        {
            string end = Walk(model, reader, input.Name);
            if (reader.Unconsumed.FirstOrDefault() is { } stray)
                throw new NotSupportedException($"ONNX {stray.Describe()} is not on the chain of layers from '{input.Name}' to '{graph.Output[0].Name}'; " +
                                                "CnnNative imports a chain (a Sequential), not a branching graph.");
            if (end != graph.Output[0].Name)
                throw new InvalidDataException($"ONNX model '{source}': the chain from '{input.Name}' ends at '{end}', not at the graph output '{graph.Output[0].Name}'.");
            if (model.Layers.Count == 0) throw new InvalidDataException($"ONNX model '{source}' has no layers.");
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(OnnxImporter))
                .LogInformation("Imported {Source} (opset {Opset}, from {Producer}) as {Spec} on {Device}",
                                source, opset, $"{proto.ProducerName} {proto.ProducerVersion}".Trim(), model.Spec, device.Name);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    // Follows the chain from the input: each node reads the current value, becomes a layer (or nothing), and its
    // output is the next value. Returns the value the chain ends in.
    private static string Walk(Sequential model, OnnxGraphReader reader, string current)
    {
        reader.Current = model.InputShape;
        while (reader.SoleConsumer(current) is { } node)
        {
            if (!OnnxFormat.IsStandardDomain(node.Domain))
                throw new NotSupportedException(
                    $"ONNX {node.Describe()} is outside the standard operator set, which is all CnnNative imports " +
                    "(an ONNX Runtime optimised model uses such fused ops: import the model as it was exported instead).");
            var mapping = OnnxMappings.ForOpType(node.OpType)
                          ?? throw new NotSupportedException($"ONNX {node.Describe()} is not supported; CnnNative imports {string.Join(", ", OnnxMappings.ImportedOps)} and Constant.");
            if (node.Input[0] != current)
                throw new NotSupportedException($"ONNX {node.Describe()} reads the previous layer's output '{current}' as input {node.Input.IndexOf(current)}, not as its first input.");
            reader.Consume(node);
            var step = mapping.Import(node, reader);
            if (step.Layer is not null)
            {
                Append(model, step, node);
                reader.Current = model.OutputShape;
            }
            current = step.Output;
        }
        return current;
    }

    private static void Append(Sequential model, OnnxImportStep step, NodeProto node)
    {
        var layer = step.Layer!;
        try { model.Add(layer); }
        catch (ArgumentException e)
        {
            layer.Dispose();
            throw new InvalidDataException($"ONNX {node.Describe()}: {e.Message}", e);
        }
        Fill(layer.Parameters.Select(p => (p.Name, p.Value)).ToList(), step.Parameters, "parameters");
        Fill(layer.Buffers.Select(b => (b.Name, b.Value)).ToList(), step.Buffers, "buffers");

        void Fill(List<(string Name, Tensor Value)> tensors, IReadOnlyList<float[]> values, string what)
        {
            if (tensors.Count != values.Count)
                throw new InvalidOperationException($"The ONNX mapping of {node.OpType} gave {values.Count} tensors for {layer.Describe()}, which has {tensors.Count} {what}.");
            for (int i = 0; i < tensors.Count; i++)
            {
                var (name, tensor) = tensors[i];
                if (values[i].Length != tensor.Length)
                    throw new InvalidDataException($"ONNX {node.Describe()}: {name} of {tensor.Shape} needs {tensor.Length} values, the file has {values[i].Length}.");
                model.Device.Upload(values[i], tensor.Buffer);
            }
        }
    }

    // One sample's shape: the input's sizes after the batch, free ones taken from the caller.
    private static Shape SampleShape(ValueInfoProto input, Shape? given, string source)
    {
        if (input.Type?.ValueCase != TypeProto.ValueOneofCase.TensorType)
            throw new NotSupportedException($"ONNX model '{source}': input '{input.Name}' is not a tensor.");
        var tensor = input.Type.TensorType;
        if (tensor.ElemType != (int)TensorProto.Types.DataType.Float)
            throw new NotSupportedException($"ONNX model '{source}': input '{input.Name}' is {(TensorProto.Types.DataType)tensor.ElemType}; CnnNative models take float32.");
        if (tensor.Shape is null)
            return given ?? throw new InvalidDataException($"ONNX model '{source}': input '{input.Name}' has no shape; give the input shape (C,H,W).");
        var dims = tensor.Shape.Dim.Skip(1).ToList(); // the first is the batch, free or not
        if (tensor.Shape.Dim.Count is not (2 or 4))
            throw new NotSupportedException($"ONNX model '{source}': input '{input.Name}' has {tensor.Shape.Dim.Count} dimensions; CnnNative takes (N, C, H, W) or (N, features).");
        if (given is { } g && g.Rank != dims.Count)
            throw new ArgumentException($"The input shape {g} does not fit ONNX input '{input.Name}', which has {dims.Count} dimensions after the batch.", nameof(given));
        var sizes = new int[dims.Count];
        for (int i = 0; i < dims.Count; i++)
        {
            var d = dims[i];
            bool known = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0;
            if (given is { } s)
            {
                if (known && d.DimValue != s[i])
                    throw new ArgumentException($"The input shape {s} does not fit ONNX input '{input.Name}': dimension {i + 1} is {d.DimValue} in the file.", nameof(given));
                sizes[i] = s[i];
            }
            else if (known && d.DimValue <= int.MaxValue) sizes[i] = (int)d.DimValue;
            else
                throw new InvalidDataException($"ONNX model '{source}': input '{input.Name}' leaves dimension {i + 1} free ('{d.DimParam}'); give the input shape (C,H,W).");
        }
        return new Shape(sizes);
    }
}
