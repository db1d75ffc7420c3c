using System.Runtime.InteropServices;
using CnnNative.Onnx.Protos;
using Google.Protobuf;

namespace CnnNative.Tests.Onnx;

/// <summary>
/// Assembles ONNX models node by node with the protobuf classes, the way other exporters write them (PyTorch:
/// MatMul + Add, Reshape to (0, -1) from a Constant, weights as raw data or float_data), for tests that need a model
/// CnnNative's exporter did not make.
/// </summary>
internal sealed class HandBuiltOnnx
{
    private readonly Random _rng = new(7);
    private int _values;

    public HandBuiltOnnx(long opset = 17, params long[] inputDims)
    {
        Model = new ModelProto { IrVersion = 8, ProducerName = "hand-built test model", Graph = new GraphProto { Name = "test" } };
        Model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        Model.Graph.Input.Add(Value("x", inputDims.Length > 0 ? inputDims : [-1, 1, 28, 28]));
        Current = "x";
    }

    public ModelProto Model { get; }
    public GraphProto Graph => Model.Graph;

    /// <summary>The value the next node reads.</summary>
    public string Current { get; private set; }

    /// <summary>Appends a node reading <see cref="Current"/> and <paramref name="constants"/>; its output becomes current.</summary>
    public NodeProto Node(string opType, params string[] constants)
    {
        string output = $"v{++_values}";
        var node = new NodeProto { OpType = opType, Name = $"/{opType.ToLowerInvariant()}_{_values}/{opType}" };
        node.Input.Add(Current);
        node.Input.AddRange(constants);
        node.Output.Add(output);
        Graph.Node.Add(node);
        Current = output;
        return node;
    }

    /// <summary>A random float initializer, in raw_data (as PyTorch writes them) or in float_data.</summary>
    public string Weights(string name, long[] dims, bool raw = true, float scale = 0.5f)
    {
        var values = new float[dims.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = (_rng.NextSingle() * 2 - 1) * scale;
        return Floats(name, dims, values, raw);
    }

    public string Floats(string name, long[] dims, float[] values, bool raw = true)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        if (raw) t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        else t.FloatData.AddRange(values);
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A Constant node holding int64 values (how PyTorch's exporter writes a Reshape's shape).</summary>
    public string ConstantInts(string name, params long[] values)
    {
        var t = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        var node = new NodeProto { OpType = "Constant", Name = name };
        node.Output.Add(name);
        node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
        Graph.Node.Insert(0, node);
        return name;
    }

    /// <summary>Declares <see cref="Current"/> the graph's output and returns the file's bytes.</summary>
    public byte[] Finish()
    {
        if (Graph.Output.Count == 0) Graph.Output.Add(new ValueInfoProto { Name = Current });
        return Model.ToByteArray();
    }

    /// <summary>A float tensor value; a negative size is a free dimension named after its position.</summary>
    public static ValueInfoProto Value(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        for (int i = 0; i < dims.Length; i++)
            shape.Dim.Add(dims[i] >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = dims[i] }
                                       : new TensorShapeProto.Types.Dimension { DimParam = i == 0 ? "batch" : $"d{i}" });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}

/// <summary>Attribute shorthands for hand-built nodes.</summary>
internal static class HandBuiltNodes
{
    public static NodeProto Ints(this NodeProto node, string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        node.Attribute.Add(a);
        return node;
    }

    public static NodeProto Int(this NodeProto node, string name, long value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
        return node;
    }

    public static NodeProto Float(this NodeProto node, string name, float value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });
        return node;
    }

    public static NodeProto String(this NodeProto node, string name, string value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });
        return node;
    }
}
