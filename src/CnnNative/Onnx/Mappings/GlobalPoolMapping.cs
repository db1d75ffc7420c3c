using CnnNative.Layers;
using CnnNative.Onnx.Protos;
using CnnNative.Tensors;

namespace CnnNative.Onnx.Mappings;

/// <summary>
/// <see cref="GlobalAvgPool2d"/> ↔ GlobalAveragePool followed by Flatten (axis 1): ONNX keeps (N, C, 1, 1) where the
/// layer gives (N, C). On import, a GlobalAveragePool whose output is then flattened (PyTorch's AdaptiveAvgPool2d(1)
/// with a flatten or view, Keras' GlobalAveragePooling2D) becomes the layer, the flatten included; otherwise it, and a
/// GlobalMaxPool, become a pooling window over the whole feature map that keeps the (C, 1, 1) shape.
/// </summary>
internal sealed class GlobalPoolMapping : OnnxMapping
{
    public override IReadOnlyList<string> OpTypes { get; } = ["GlobalAveragePool", "GlobalMaxPool"];

    public override bool Exports(Layer layer) => layer is GlobalAvgPool2d;

    public override void Export(Layer layer, OnnxGraphWriter graph)
    {
        graph.AddNode("GlobalAveragePool", layer.Name);
        graph.AddNode("Flatten", $"{layer.Name}.flatten").With("axis", 1);
    }

    public override OnnxImportStep Import(NodeProto node, OnnxGraphReader graph)
    {
        var input = graph.Current;
        if (input.Rank != 3)
            throw new NotSupportedException($"ONNX {node.Describe()}: pooling reads (N, C, H, W) here but the value it gets is (N, {string.Join(", ", input.ToArray())}).");
        if (node.OpType == "GlobalMaxPool") return OnnxImportStep.Of(new MaxPool2d(input[1], input[2], 1, 1), node.Output[0]);
        if (graph.SoleConsumer(node.Output[0]) is { } next && OnnxFormat.IsStandardDomain(next.Domain) && next.Input[0] == node.Output[0]
            && FlattenMapping.FlattensEachSample(next, graph, new Shape(input[0], 1, 1)))
        {
            graph.Consume(next);
            return OnnxImportStep.Of(new GlobalAvgPool2d(), next.Output[0]);
        }
        return OnnxImportStep.Of(new AvgPool2d(input[1], input[2], 1, 1), node.Output[0]);
    }
}
