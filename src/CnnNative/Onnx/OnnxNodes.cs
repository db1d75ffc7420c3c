using System.Text;
using CnnNative.Onnx.Protos;

namespace CnnNative.Onnx;

/// <summary>Reading and writing a node's attributes, and the one way every message names a node.</summary>
internal static class OnnxNodes
{
    /// <summary>"node 'conv1' (Conv, domain ai.onnx)": what every import error says about the node it is about.</summary>
    public static string Describe(this NodeProto node)
        => $"node '{(node.Name.Length > 0 ? node.Name : "(unnamed)")}' ({node.OpType}, domain {(node.Domain.Length > 0 ? node.Domain : "ai.onnx")})";

    public static AttributeProto? Attribute(this NodeProto node, string name)
        => node.Attribute.FirstOrDefault(a => a.Name == name);

    public static long Int(this NodeProto node, string name, long fallback)
        => node.Attribute(name) is { } a ? Expect(node, a, AttributeProto.Types.AttributeType.Int).I : fallback;

    public static float Float(this NodeProto node, string name, float fallback)
        => node.Attribute(name) is { } a ? Expect(node, a, AttributeProto.Types.AttributeType.Float).F : fallback;

    public static string String(this NodeProto node, string name, string fallback)
        => node.Attribute(name) is { } a ? Expect(node, a, AttributeProto.Types.AttributeType.String).S.ToStringUtf8() : fallback;

    /// <summary>A list of ints, or null when the attribute is absent.</summary>
    public static long[]? Ints(this NodeProto node, string name)
        => node.Attribute(name) is { } a ? Expect(node, a, AttributeProto.Types.AttributeType.Ints).Ints.ToArray() : null;

    public static TensorProto? Tensor(this NodeProto node, string name)
        => node.Attribute(name) is { } a ? Expect(node, a, AttributeProto.Types.AttributeType.Tensor).T : null;

    // Writers (export): one attribute each, typed as ONNX expects.
    public static NodeProto With(this NodeProto node, string name, long value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
        return node;
    }

    public static NodeProto WithFloat(this NodeProto node, string name, float value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });
        return node;
    }

    public static NodeProto With(this NodeProto node, string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        node.Attribute.Add(a);
        return node;
    }

    private static AttributeProto Expect(NodeProto node, AttributeProto a, AttributeProto.Types.AttributeType type)
    {
        if (a.RefAttrName.Length > 0)
            throw new NotSupportedException($"ONNX {node.Describe()}: attribute '{a.Name}' refers to a function attribute ('{a.RefAttrName}'); functions are not supported.");
        // Writers before IR version 3 left the type out; the value field then says what it is.
        if (a.Type != type && a.Type != AttributeProto.Types.AttributeType.Undefined)
            throw new InvalidDataException($"ONNX {node.Describe()}: attribute '{a.Name}' is {a.Type}, expected {type}.");
        return a;
    }

    /// <summary>A size or count read from the file as an int, checked to be at least <paramref name="min"/>.</summary>
    public static int Size(this NodeProto node, long value, string what, int min = 1)
        => value >= min && value <= int.MaxValue ? (int)value
           : throw new InvalidDataException($"ONNX {node.Describe()}: {what} is {value}, expected at least {min}.");

    /// <summary>A pair of ints (height, width) from an attribute of two values, or <paramref name="fallback"/> when absent.</summary>
    public static (int H, int W) Pair(this NodeProto node, string name, int fallback, int min = 1)
    {
        var values = node.Ints(name);
        if (values is null) return (fallback, fallback);
        if (values.Length != 2)
            throw new NotSupportedException($"ONNX {node.Describe()}: {name} {Join(values)} is not two-dimensional; CnnNative has 2-D convolution and pooling only.");
        return (node.Size(values[0], name, min), node.Size(values[1], name, min));
    }

    /// <summary>"[1, 2, 3]" for messages.</summary>
    public static string Join(IEnumerable<long> values) => new StringBuilder("[").AppendJoin(", ", values).Append(']').ToString();
}
