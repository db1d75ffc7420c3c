using CnnNative.Layers;
using CnnNative.Onnx.Protos;

namespace CnnNative.Onnx.Mappings;

/// <summary><see cref="Softmax"/> ↔ Softmax over axis 1 of an (N, classes) value.</summary>
internal sealed class SoftmaxMapping : OnnxMapping
{
    public override IReadOnlyList<string> OpTypes { get; } = ["Softmax"];

    public override bool Exports(Layer layer) => layer is Softmax;

    public override void Export(Layer layer, OnnxGraphWriter graph) => graph.AddNode("Softmax", layer.Name).With("axis", 1);

    public override OnnxImportStep Import(NodeProto node, OnnxGraphReader graph)
    {
        if (graph.Current.Rank != 1)
            throw new NotSupportedException($"ONNX {node.Describe()}: Softmax over (N, {string.Join(", ", graph.Current.ToArray())}); CnnNative's Softmax takes (N, classes).");
        // Before opset 13 the default axis was 1 (and the input was seen as 2-D); from 13 on it is the last one.
        long axis = node.Int("axis", graph.Opset >= 13 ? -1 : 1);
        if (axis is not (1 or -1))
            throw new NotSupportedException($"ONNX {node.Describe()}: Softmax over axis {axis} of (N, classes); CnnNative normalises each row (axis 1).");
        return OnnxImportStep.Of(new Softmax(), node.Output[0]);
    }
}
