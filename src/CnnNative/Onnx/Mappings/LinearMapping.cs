using CnnNative.Layers;
using CnnNative.Onnx.Protos;

namespace CnnNative.Onnx.Mappings;

/// <summary>
/// <see cref="Linear"/> ↔ Gemm (B = W of shape (units, features) with transB = 1, C = bias); imports MatMul with a
/// following Add too, the way PyTorch and Keras exporters often write a dense layer (there W is (features, units)).
/// </summary>
internal sealed class LinearMapping : OnnxMapping
{
    public override IReadOnlyList<string> OpTypes { get; } = ["Gemm", "MatMul"];

    public override bool Exports(Layer layer) => layer is Linear;

    public override void Export(Layer layer, OnnxGraphWriter graph)
    {
        var l = (Linear)layer;
        // Linear reads any input flat; Gemm wants (N, features).
        if (l.InputShape.Rank > 1) graph.AddNode("Flatten", $"{l.Name}.flatten").With("axis", 1);
        string[] constants = l.Bias is null ? [graph.AddInitializer(l.Weight)] : [graph.AddInitializer(l.Weight), graph.AddInitializer(l.Bias)];
        graph.AddNode("Gemm", l.Name, constants).With("transB", 1);
    }

    public override OnnxImportStep Import(NodeProto node, OnnxGraphReader graph)
    {
        if (graph.Current.Rank != 1)
            throw new NotSupportedException($"ONNX {node.Describe()}: {node.OpType} reads (N, features) here but the value it gets is " +
                                            $"(N, {string.Join(", ", graph.Current.ToArray())}); flatten it first.");
        int features = graph.Current.Size;
        var b = graph.Floats(node, 1, "weight");
        if (b.Dims.Length != 2)
            throw new NotSupportedException($"ONNX {node.Describe()}: weight '{b.Name}' is {b.DimsText}; a dense layer's weight is 2-D.");
        return node.OpType == "Gemm" ? ImportGemm(node, graph, b, features) : ImportMatMul(node, graph, b, features);
    }

    // Y = alpha · A · B' + beta · C, with B' = B or Bᵀ.
    private static OnnxImportStep ImportGemm(NodeProto node, OnnxGraphReader graph, OnnxConstant b, int features)
    {
        if (node.Int("transA", 0) != 0)
            throw new NotSupportedException($"ONNX {node.Describe()}: Gemm with transA = 1 transposes the batch; not supported.");
        bool transB = node.Int("transB", 0) != 0;
        var weight = transB ? b.Values : Transpose(b.Values, (int)b.Dims[0], (int)b.Dims[1]);
        int units = node.Size(transB ? b.Dims[0] : b.Dims[1], "the unit count");
        if ((transB ? b.Dims[1] : b.Dims[0]) != features)
            throw new InvalidDataException($"ONNX {node.Describe()}: weight '{b.Name}' {b.DimsText} (transB {(transB ? 1 : 0)}) does not take {features} features.");
        Scale(weight, node.Float("alpha", 1f));
        if (!OnnxGraphReader.HasInput(node, 2)) return OnnxImportStep.Of(new Linear(units, bias: false), node.Output[0], weight);
        var bias = Bias(node, graph.Floats(node, 2, "bias"), units);
        Scale(bias, node.Float("beta", 1f));
        return OnnxImportStep.Of(new Linear(units), node.Output[0], weight, bias);
    }

    private static OnnxImportStep ImportMatMul(NodeProto node, OnnxGraphReader graph, OnnxConstant b, int features)
    {
        if (b.Dims[0] != features)
            throw new InvalidDataException($"ONNX {node.Describe()}: weight '{b.Name}' {b.DimsText} does not take {features} features.");
        int units = node.Size(b.Dims[1], "the unit count");
        var weight = Transpose(b.Values, features, units);
        // A bias is the Add right after, adding a constant to the product and to nothing else.
        if (graph.SoleConsumer(node.Output[0]) is { } add && add.OpType == "Add" && OnnxFormat.IsStandardDomain(add.Domain) && add.Input.Count == 2)
        {
            int other = add.Input[0] == node.Output[0] ? 1 : 0;
            if (add.Input[1 - other] == node.Output[0] && graph.IsConstant(add.Input[other]))
            {
                var bias = Bias(add, graph.Floats(add, other, "bias"), units);
                graph.Consume(add);
                return OnnxImportStep.Of(new Linear(units), add.Output[0], weight, bias);
            }
        }
        return OnnxImportStep.Of(new Linear(units, bias: false), node.Output[0], weight);
    }

    // A bias of (units), (1, units), or one value for all units.
    private static float[] Bias(NodeProto node, OnnxConstant c, int units)
    {
        bool fits = c.Dims.Length <= 2 && c.Dims.Take(c.Dims.Length - 1).All(d => d == 1) && (c.Values.Length == units || c.Values.Length == 1);
        if (!fits) throw new NotSupportedException($"ONNX {node.Describe()}: bias '{c.Name}' {c.DimsText} is not one value per unit ({units}).");
        return c.Values.Length == units ? c.Values : Enumerable.Repeat(c.Values[0], units).ToArray();
    }

    private static float[] Transpose(float[] values, int rows, int cols)
    {
        var t = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = values[r * cols + c];
        return t;
    }

    private static void Scale(float[] values, float factor)
    {
        if (factor == 1f) return;
        for (int i = 0; i < values.Length; i++) values[i] *= factor;
    }
}
