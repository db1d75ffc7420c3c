using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Onnx.Protos;

namespace CnnNative.Onnx.Mappings;

/// <summary><see cref="MaxPool2d"/>, <see cref="AvgPool2d"/> ↔ MaxPool, AveragePool without padding.</summary>
internal sealed class PoolMapping : OnnxMapping
{
    public override IReadOnlyList<string> OpTypes { get; } = ["MaxPool", "AveragePool"];

    public override bool Exports(Layer layer) => layer is Pool2d;

    public override void Export(Layer layer, OnnxGraphWriter graph)
    {
        var p = (Pool2d)layer;
        graph.AddNode(p.Mode == PoolMode.Max ? "MaxPool" : "AveragePool", p.Name)
             .With("kernel_shape", p.SizeH, p.SizeW)
             .With("strides", p.StrideH, p.StrideW);
    }

    public override OnnxImportStep Import(NodeProto node, OnnxGraphReader graph)
    {
        var input = graph.Current;
        if (input.Rank != 3)
            throw new NotSupportedException($"ONNX {node.Describe()}: pooling reads (N, C, H, W) here but the value it gets is (N, {string.Join(", ", input.ToArray())}).");
        bool max = node.OpType == "MaxPool";
        if (node.Ints("kernel_shape") is null) throw new InvalidDataException($"ONNX {node.Describe()} has no kernel_shape.");
        var (kh, kw) = node.Pair("kernel_shape", 1);
        var (sh, sw) = node.Pair("strides", 1);
        string autoPad = node.String("auto_pad", "NOTSET");
        var pads = node.Ints("pads") ?? [];
        if (autoPad is not ("NOTSET" or "VALID") || pads.Any(p => p != 0))
            throw new NotSupportedException($"ONNX {node.Describe()}: padded pooling (auto_pad {autoPad}, pads {OnnxNodes.Join(pads)}) is not supported.");
        if (node.Pair("dilations", 1) != (1, 1))
            throw new NotSupportedException($"ONNX {node.Describe()}: dilated pooling is not supported.");
        // ceil_mode rounds the output size up; where the windows fit exactly it changes nothing.
        if (node.Int("ceil_mode", 0) != 0 && ((input[1] - kh) % sh != 0 || (input[2] - kw) % sw != 0))
            throw new NotSupportedException($"ONNX {node.Describe()}: ceil_mode 1 adds partial windows here, which CnnNative's pooling does not have.");
        Layer layer = max ? new MaxPool2d(kh, kw, sh, sw) : new AvgPool2d(kh, kw, sh, sw);
        return OnnxImportStep.Of(layer, node.Output[0]);
    }
}
