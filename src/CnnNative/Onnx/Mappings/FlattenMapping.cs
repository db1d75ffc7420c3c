using CnnNative.Layers;
using CnnNative.Onnx.Protos;
using CnnNative.Tensors;

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
        var sample = graph.Current;
        if (node.OpType == "Flatten")
        {
            if (Axis(node, sample) != 1)
                throw new NotSupportedException($"ONNX {node.Describe()}: Flatten at axis {node.Int("axis", 1)} keeps more than the batch apart; CnnNative flattens at axis 1.");
            return OnnxImportStep.Of(new Flatten(), node.Output[0]);
        }
        var shape = graph.Ints(node, 1, "shape");
        if (!ReshapeFlattens(node, shape, sample))
            throw new NotSupportedException(
                $"ONNX {node.Describe()}: Reshape to {OnnxNodes.Join(shape)} from (N, {string.Join(", ", sample.ToArray())}); " +
                $"CnnNative reads only reshapes that flatten each sample: (0, -1), (N, -1) or (-1, {sample.Size}).");
        return OnnxImportStep.Of(new Flatten(), node.Output[0]);
    }

    /// <summary>
    /// Whether <paramref name="node"/> is a Flatten at axis 1 or a Reshape by a constant shape that flattens each sample
    /// of <paramref name="sample"/> (without the batch); false for anything else.
    /// </summary>
    public static bool FlattensEachSample(NodeProto node, OnnxGraphReader graph, Shape sample) => node.OpType switch
    {
        "Flatten" => Axis(node, sample) == 1,
        "Reshape" => OnnxGraphReader.HasInput(node, 1) && graph.IsConstant(node.Input[1]) && ReshapeFlattens(node, graph.Ints(node, 1, "shape"), sample),
        _ => false,
    };

    private static long Axis(NodeProto node, Shape sample)
    {
        long axis = node.Int("axis", 1);
        return axis < 0 ? axis + sample.Rank + 1 : axis; // the rank with the batch
    }

    private static bool ReshapeFlattens(NodeProto node, long[] shape, Shape sample)
    {
        int features = sample.Size;
        bool zeroCopies = node.Int("allowzero", 0) == 0; // 0 means "keep this dimension" unless allowzero is set
        return shape.Length == 2
               && (shape[1] == -1 || shape[1] == features)
               && (shape[0] > 0 || (shape[0] == 0 && zeroCopies) || (shape[0] == -1 && shape[1] == features));
    }
}
