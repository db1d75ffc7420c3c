using CnnNative.Layers;
using CnnNative.Onnx.Protos;

namespace CnnNative.Onnx.Mappings;

/// <summary><see cref="Conv2d"/> ↔ Conv (weights (K, C, R, S), optional bias (K), symmetric zero padding, group 1).</summary>
internal sealed class ConvMapping : OnnxMapping
{
    public override IReadOnlyList<string> OpTypes { get; } = ["Conv"];

    public override bool Exports(Layer layer) => layer is Conv2d;

    public override void Export(Layer layer, OnnxGraphWriter graph)
    {
        var c = (Conv2d)layer;
        string[] constants = c.Bias is null ? [graph.AddInitializer(c.Weight)] : [graph.AddInitializer(c.Weight), graph.AddInitializer(c.Bias)];
        graph.AddNode("Conv", c.Name, constants)
             .With("kernel_shape", c.KernelH, c.KernelW)
             .With("strides", c.StrideH, c.StrideW)
             .With("pads", c.PadH, c.PadW, c.PadH, c.PadW)
             .With("dilations", 1, 1)
             .With("group", 1);
    }

    public override OnnxImportStep Import(NodeProto node, OnnxGraphReader graph)
    {
        var input = graph.Current;
        if (input.Rank != 3)
            throw new NotSupportedException($"ONNX {node.Describe()}: Conv reads (N, C, H, W) here but the value it gets is (N, {string.Join(", ", input.ToArray())}).");
        var w = graph.Floats(node, 1, "weight");
        if (w.Dims.Length != 4)
            throw new NotSupportedException($"ONNX {node.Describe()}: weight '{w.Name}' is {w.DimsText}; CnnNative has 2-D convolution only (K, C, R, S).");
        int k = node.Size(w.Dims[0], "the filter count"), kh = node.Size(w.Dims[2], "the kernel height"), kw = node.Size(w.Dims[3], "the kernel width");
        if (node.Int("group", 1) != 1)
            throw new NotSupportedException($"ONNX {node.Describe()}: grouped convolution (group {node.Int("group", 1)}) is not supported.");
        if (w.Dims[1] != input[0])
            throw new InvalidDataException($"ONNX {node.Describe()}: weight '{w.Name}' is {w.DimsText} but its input has {input[0]} channels.");
        if (node.Pair("dilations", 1) != (1, 1))
            throw new NotSupportedException($"ONNX {node.Describe()}: dilated convolution (dilations {OnnxNodes.Join(node.Ints("dilations")!)}) is not supported.");
        if (node.Ints("kernel_shape") is { } shape && (shape.Length != 2 || shape[0] != kh || shape[1] != kw))
            throw new InvalidDataException($"ONNX {node.Describe()}: kernel_shape {OnnxNodes.Join(shape)} does not match weight '{w.Name}' {w.DimsText}.");
        var (sh, sw) = node.Pair("strides", 1);
        var (ph, pw) = Padding(node, input[1], input[2], kh, kw, sh, sw);

        float[]? bias = null;
        if (OnnxGraphReader.HasInput(node, 2))
        {
            var b = graph.Floats(node, 2, "bias");
            if (b.Values.Length != k) throw new InvalidDataException($"ONNX {node.Describe()}: bias '{b.Name}' is {b.DimsText}, expected [{k}].");
            bias = b.Values;
        }
        var layer = new Conv2d(k, kh, kw, sh, sw, ph, pw, bias: bias is not null);
        return bias is null ? OnnxImportStep.Of(layer, node.Output[0], w.Values) : OnnxImportStep.Of(layer, node.Output[0], w.Values, bias);
    }

    // Our padding is symmetric: explicit pads must be (top, left, bottom, right) with top = bottom and left = right;
    // SAME_UPPER/SAME_LOWER work where the padding they imply is even.
    private static (int H, int W) Padding(NodeProto node, int h, int w, int kh, int kw, int sh, int sw)
    {
        string autoPad = node.String("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET":
                var pads = node.Ints("pads") ?? [0, 0, 0, 0];
                if (pads.Length != 4 || pads[0] != pads[2] || pads[1] != pads[3])
                    throw new NotSupportedException($"ONNX {node.Describe()}: pads {OnnxNodes.Join(pads)} are not the same on both sides; CnnNative pads symmetrically.");
                return (node.Size(pads[0], "the padding", min: 0), node.Size(pads[1], "the padding", min: 0));
            case "VALID":
                return (0, 0);
            case "SAME_UPPER" or "SAME_LOWER":
                return (SamePad(node, h, kh, sh), SamePad(node, w, kw, sw));
            default:
                throw new InvalidDataException($"ONNX {node.Describe()}: unknown auto_pad '{autoPad}'.");
        }
    }

    private static int SamePad(NodeProto node, int size, int kernel, int stride)
    {
        int output = (size + stride - 1) / stride;
        int total = Math.Max((output - 1) * stride + kernel - size, 0);
        if (total % 2 != 0)
            throw new NotSupportedException($"ONNX {node.Describe()}: auto_pad {node.String("auto_pad", "")} pads one side more than the other here; CnnNative pads symmetrically.");
        return total / 2;
    }
}
