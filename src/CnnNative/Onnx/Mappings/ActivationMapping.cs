using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Onnx.Protos;

namespace CnnNative.Onnx.Mappings;

/// <summary><see cref="ReLU"/>, <see cref="Sigmoid"/>, <see cref="Tanh"/> ↔ Relu, Sigmoid, Tanh.</summary>
internal sealed class ActivationMapping : OnnxMapping
{
    public override IReadOnlyList<string> OpTypes { get; } = ["Relu", "Sigmoid", "Tanh"];

    public override bool Exports(Layer layer) => layer is ActivationLayer;

    public override void Export(Layer layer, OnnxGraphWriter graph)
    {
        var function = ((ActivationLayer)layer).Function;
        string op = function switch
        {
            Activation.ReLU => "Relu",
            Activation.Sigmoid => "Sigmoid",
            Activation.Tanh => "Tanh",
            _ => throw new NotSupportedException($"Layer {layer.Describe()}: activation {function} has no ONNX mapping."),
        };
        graph.AddNode(op, layer.Name);
    }

    public override OnnxImportStep Import(NodeProto node, OnnxGraphReader graph)
    {
        Layer layer = node.OpType switch
        {
            "Relu" => new ReLU(),
            "Sigmoid" => new Sigmoid(),
            _ => new Tanh(),
        };
        return OnnxImportStep.Of(layer, node.Output[0]);
    }
}
