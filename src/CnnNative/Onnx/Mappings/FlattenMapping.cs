using CnnNative.Layers;
using CnnNative.Onnx.Protos;

namespace CnnNative.Onnx.Mappings;

/// <summary>
/// <see cref="Flatten"/> ↔ Flatten (axis 1); also imports the Reshape a PyTorch <c>x.view(x.size(0), -1)</c> or
/// <c>reshape(0, -1)</c> exports, i.e. any reshape that flattens each sample.
/// </summary>
internal sealed class FlattenMapping : OnnxMapping
{
    public override IReadOnlyList<string> OpTypes { get; } = ["Flatten", "Reshape"];

    public override bool Exports(Layer layer) => layer is Flatten;

    public override void Export(Layer layer, OnnxGraphWriter graph) => graph.AddNode("Flatten", layer.Name).With("axis", 1);

    public override OnnxImportStep Import(NodeProto node, OnnxGraphReader graph)
    {
        int rank = graph.Current.Rank + 1; // with the batch
        if (node.OpType == "Flatten")
        {
            long axis = node.Int("axis", 1);
            if (axis < 0) axis += rank;
            if (axis != 1)
                throw new NotSupportedException($"ONNX {node.Describe()}: Flatten at axis {node.Int("axis", 1)} keeps more than the batch apart; CnnNative flattens at axis 1.");
            return OnnxImportStep.Of(new Flatten(), node.Output[0]);
        }
        var shape = graph.Ints(node, 1, "shape");
        int features = graph.Current.Size;
        bool zeroCopies = node.Int("allowzero", 0) == 0; // 0 means "keep this dimension" unless allowzero is set
        bool flattens = shape.Length == 2
                        && (shape[1] == -1 || shape[1] == features)
                        && (shape[0] > 0 || (shape[0] == 0 && zeroCopies) || (shape[0] == -1 && shape[1] == features));
        if (!flattens)
            throw new NotSupportedException(
                $"ONNX {node.Describe()}: Reshape to {OnnxNodes.Join(shape)} from (N, {string.Join(", ", graph.Current.ToArray())}); " +
                $"CnnNative reads only reshapes that flatten each sample: (0, -1), (N, -1) or (-1, {features}).");
        return OnnxImportStep.Of(new Flatten(), node.Output[0]);
    }
}
