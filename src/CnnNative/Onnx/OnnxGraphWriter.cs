using System.Runtime.InteropServices;
using CnnNative.Layers;
using CnnNative.Onnx.Protos;
using Google.Protobuf;

namespace CnnNative.Onnx;

/// <summary>
/// What an export mapping writes into: the graph under construction and the value the chain has reached.
/// Each node reads that value (plus its initializers) and becomes the new end of the chain.
/// </summary>
internal sealed class OnnxGraphWriter
{
    public OnnxGraphWriter(GraphProto graph, string input)
    {
        Graph = graph;
        Current = input;
    }

    public GraphProto Graph { get; }

    /// <summary>The value the next node reads.</summary>
    public string Current { get; private set; }

    /// <summary>
    /// Appends a node that reads <see cref="Current"/> and then <paramref name="constants"/>; its output, named after
    /// the node, becomes <see cref="Current"/>. Returns the node so that the caller can add attributes.
    /// </summary>
    public NodeProto AddNode(string opType, string name, params string[] constants)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.Add(Current);
        node.Input.AddRange(constants);
        node.Output.Add(name);
        Graph.Node.Add(node);
        Current = name;
        return node;
    }

    /// <summary>A parameter as a float32 initializer under its own name (e.g. "conv2d_1.weight"); returns the name.</summary>
    public string AddInitializer(Parameter parameter)
        => AddInitializer(parameter.Name, parameter.Shape.ToArray().Select(d => (long)d).ToArray(), parameter.Value.ToArray());

    /// <summary>A buffer (BatchNorm's running statistics) as a float32 initializer under its own name; returns the name.</summary>
    public string AddInitializer(LayerBuffer buffer)
        => AddInitializer(buffer.Name, buffer.Shape.ToArray().Select(d => (long)d).ToArray(), buffer.Value.ToArray());

    /// <summary>A float32 initializer (little-endian raw data, as PyTorch writes them); returns its name.</summary>
    public string AddInitializer(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The ONNX exporter writes raw data on little-endian machines only.");
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Renames the value the chain ends in (the last node's output) to <paramref name="name"/>.</summary>
    public void RenameCurrent(string name)
    {
        var last = Graph.Node.LastOrDefault(n => n.Output.Contains(Current))
                   ?? throw new InvalidOperationException("The graph has no node to rename the output of.");
        last.Output[last.Output.IndexOf(Current)] = name;
        Current = name;
    }
}
