using System.Buffers.Binary;
using CnnNative.Onnx.Protos;
using CnnNative.Tensors;

namespace CnnNative.Onnx;

/// <summary>A constant tensor of the graph (an initializer or a Constant node's value), decoded.</summary>
internal sealed record OnnxConstant(string Name, long[] Dims, float[] Values)
{
    public string DimsText => OnnxNodes.Join(Dims);
}

/// <summary>
/// What an import mapping sees of the graph: its constants (initializers and Constant nodes, decoded to float),
/// who reads each value, and the shape of the value the chain has reached (without the batch dimension).
/// Every error names the node and the tensor concerned.
/// </summary>
internal sealed class OnnxGraphReader
{
    private readonly Dictionary<string, TensorProto> _constants = [];
    private readonly Dictionary<string, List<NodeProto>> _consumers = [];
    private readonly HashSet<NodeProto> _consumed = [];

    public OnnxGraphReader(GraphProto graph, long opset)
    {
        Graph = graph;
        Opset = opset;
        foreach (var t in graph.Initializer) _constants[t.Name] = t;
        foreach (var node in graph.Node)
        {
            if (IsConstantNode(node))
            {
                _constants[node.Output[0]] = ConstantValue(node);
                _consumed.Add(node);
                continue;
            }
            foreach (var input in node.Input.Where(i => i.Length > 0).Distinct())
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                list.Add(node);
            }
        }
    }

    public GraphProto Graph { get; }

    /// <summary>Version of the standard operator set the file follows (defaults changed over versions).</summary>
    public long Opset { get; }

    /// <summary>Shape of the value the chain has reached, without the batch dimension.</summary>
    public Shape Current { get; set; }

    public bool IsConstant(string value) => _constants.ContainsKey(value);

    /// <summary>Nodes no mapping has read yet (other than Constant nodes).</summary>
    public IEnumerable<NodeProto> Unconsumed => Graph.Node.Where(n => !_consumed.Contains(n));

    /// <summary>Marks <paramref name="node"/> read; a node met twice means the graph has a cycle.</summary>
    public void Consume(NodeProto node)
    {
        if (!_consumed.Add(node))
            throw new InvalidDataException($"ONNX {node.Describe()} is reached twice: the graph has a cycle.");
    }

    /// <summary>The one node that reads <paramref name="value"/>, or null when none does; a fork is not a chain.</summary>
    public NodeProto? SoleConsumer(string value)
    {
        if (!_consumers.TryGetValue(value, out var readers)) return null;
        if (readers.Count > 1)
            throw new NotSupportedException(
                $"ONNX value '{value}' is read by {readers.Count} nodes ({string.Join(", ", readers.Select(r => r.Describe()))}); " +
                "CnnNative imports a chain of layers (a Sequential), not a branching graph.");
        return readers[0];
    }

    /// <summary>Whether input <paramref name="index"/> of <paramref name="node"/> is given (optional inputs may be "" or absent).</summary>
    public static bool HasInput(NodeProto node, int index) => index < node.Input.Count && node.Input[index].Length > 0;

    /// <summary>Input <paramref name="index"/> of <paramref name="node"/>, which must be a constant float tensor.</summary>
    public OnnxConstant Floats(NodeProto node, int index, string role)
    {
        var t = RequireConstant(node, index, role);
        var values = (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Float => Decode(node, t, role, t.FloatData.Count, 4, (raw, i) => BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]),
                                                        i => t.FloatData[i]),
            TensorProto.Types.DataType.Double => Decode(node, t, role, t.DoubleData.Count, 8, (raw, i) => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]),
                                                         i => (float)t.DoubleData[i]),
            _ => throw new NotSupportedException($"ONNX {node.Describe()}: {role} '{t.Name}' is {(TensorProto.Types.DataType)t.DataType}; CnnNative reads float32 weights."),
        };
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new InvalidDataException($"ONNX {node.Describe()}: {role} '{t.Name}' holds {values[i]} at index {i}; weights must be finite.");
        return new OnnxConstant(t.Name, t.Dims.ToArray(), values);
    }

    /// <summary>Input <paramref name="index"/> of <paramref name="node"/>, which must be a constant int64 (or int32) tensor.</summary>
    public long[] Ints(NodeProto node, int index, string role)
    {
        var t = RequireConstant(node, index, role);
        return (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Int64 => Decode(node, t, role, t.Int64Data.Count, 8, (raw, i) => BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]),
                                                        i => t.Int64Data[i]),
            TensorProto.Types.DataType.Int32 => Decode(node, t, role, t.Int32Data.Count, 4, (raw, i) => (long)BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]),
                                                        i => (long)t.Int32Data[i]),
            _ => throw new InvalidDataException($"ONNX {node.Describe()}: {role} '{t.Name}' is {(TensorProto.Types.DataType)t.DataType}, expected int64."),
        };
    }

    private TensorProto RequireConstant(NodeProto node, int index, string role)
    {
        if (!HasInput(node, index))
            throw new InvalidDataException($"ONNX {node.Describe()} has no {role} (input {index}).");
        string name = node.Input[index];
        if (!_constants.TryGetValue(name, out var t))
            throw new NotSupportedException($"ONNX {node.Describe()}: its {role} '{name}' is computed in the graph; CnnNative needs it as a constant (an initializer).");
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
            throw new NotSupportedException($"ONNX {node.Describe()}: {role} '{name}' is stored in an external data file; save the model with its weights inside the .onnx file.");
        return t;
    }

    private delegate T RawReader<T>(ReadOnlySpan<byte> raw, int index);

    private static T[] Decode<T>(NodeProto node, TensorProto t, string role, int typedCount, int width, RawReader<T> fromRaw, Func<int, T> fromTyped)
    {
        long count = 1;
        foreach (long d in t.Dims)
        {
            if (d < 0) throw new InvalidDataException($"ONNX {node.Describe()}: {role} '{t.Name}' has a negative dimension in {OnnxNodes.Join(t.Dims)}.");
            count *= d;
            if (count > Array.MaxLength) throw new InvalidDataException($"ONNX {node.Describe()}: {role} '{t.Name}' of {OnnxNodes.Join(t.Dims)} is too large.");
        }
        var values = new T[count];
        if (!t.RawData.IsEmpty)
        {
            if (t.RawData.Length != count * width)
                throw new InvalidDataException($"ONNX {node.Describe()}: {role} '{t.Name}' of {OnnxNodes.Join(t.Dims)} needs {count * width} bytes of raw data, has {t.RawData.Length}.");
            var raw = t.RawData.Span;
            for (int i = 0; i < values.Length; i++) values[i] = fromRaw(raw, i);
        }
        else
        {
            if (typedCount != count)
                throw new InvalidDataException($"ONNX {node.Describe()}: {role} '{t.Name}' of {OnnxNodes.Join(t.Dims)} needs {count} values, has {typedCount}.");
            for (int i = 0; i < values.Length; i++) values[i] = fromTyped(i);
        }
        return values;
    }

    private static bool IsConstantNode(NodeProto node) => node.OpType == "Constant" && OnnxFormat.IsStandardDomain(node.Domain) && node.Output.Count == 1;

    // Constant's value comes as a tensor, or (opset 12+) as a plain int or int list, which shapes often use.
    private static TensorProto ConstantValue(NodeProto node)
    {
        if (node.Tensor("value") is { } t) return t;
        var result = new TensorProto { Name = node.Output[0], DataType = (int)TensorProto.Types.DataType.Int64 };
        if (node.Ints("value_ints") is { } ints)
        {
            result.Dims.Add(ints.Length);
            result.Int64Data.AddRange(ints);
            return result;
        }
        if (node.Attribute("value_int") is not null)
        {
            result.Int64Data.Add(node.Int("value_int", 0));
            return result;
        }
        if (node.Attribute("value_float") is not null)
            return new TensorProto { Name = node.Output[0], DataType = (int)TensorProto.Types.DataType.Float, FloatData = { node.Float("value_float", 0) } };
        throw new NotSupportedException($"ONNX {node.Describe()}: a Constant needs a 'value', 'value_ints', 'value_int' or 'value_float' attribute; " +
                                        $"it has {string.Join(", ", node.Attribute.Select(a => a.Name))}.");
    }
}
