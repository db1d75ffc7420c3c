using CnnNative.Layers;
using CnnNative.Onnx.Protos;

namespace CnnNative.Onnx.Mappings;

/// <summary>
/// <see cref="Dropout"/> ↔ Dropout with its ratio (an identity at inference, as ONNX defines it without a training_mode
/// input, so ONNX Runtime passes values through); Identity imports as nothing.
/// </summary>
internal sealed class DropoutMapping : OnnxMapping
{
    public override IReadOnlyList<string> OpTypes { get; } = ["Dropout", "Identity"];

    public override bool Exports(Layer layer) => layer is Dropout;

    public override void Export(Layer layer, OnnxGraphWriter graph)
    {
        var d = (Dropout)layer;
        graph.AddNode("Dropout", d.Name, graph.AddInitializer($"{d.Name}.ratio", [], [d.Rate]));
    }

    public override OnnxImportStep Import(NodeProto node, OnnxGraphReader graph)
    {
        if (node.OpType == "Identity") return OnnxImportStep.Skip(node.Output[0]);
        if (OnnxGraphReader.HasInput(node, 2))
            throw new NotSupportedException($"ONNX {node.Describe()}: Dropout with a training_mode input is not supported (it would drop values at inference).");
        // Opset 12 moved the ratio from an attribute to an optional input; 0.5 is the default in both.
        float rate = graph.Opset >= 12
            ? OnnxGraphReader.HasInput(node, 1) ? Scalar(node, graph.Floats(node, 1, "ratio")) : 0.5f
            : node.Float("ratio", 0.5f);
        if (!(rate >= 0 && rate < 1))
            throw new InvalidDataException($"ONNX {node.Describe()}: Dropout ratio {rate} is outside [0, 1).");
        return OnnxImportStep.Of(new Dropout(rate), node.Output[0]);
    }

    private static float Scalar(NodeProto node, OnnxConstant ratio)
        => ratio.Values.Length == 1 ? ratio.Values[0]
           : throw new InvalidDataException($"ONNX {node.Describe()}: ratio '{ratio.Name}' is {ratio.DimsText}, expected one value.");
}
