using CnnNative.Layers;
using CnnNative.Onnx.Protos;

namespace CnnNative.Onnx.Mappings;

/// <summary>
/// <see cref="BatchNorm"/> (2d and 1d) ↔ BatchNormalization in inference mode: inputs scale (γ), B (β), input_mean and
/// input_var (the running statistics, under the buffers' names), attribute epsilon. ONNX's momentum weighs the old
/// running value (PyTorch's exporter writes 1 − momentum); it is carried over both ways although inference ignores it.
/// </summary>
internal sealed class BatchNormMapping : OnnxMapping
{
    public override IReadOnlyList<string> OpTypes { get; } = ["BatchNormalization"];

    public override bool Exports(Layer layer) => layer is BatchNorm;

    public override void Export(Layer layer, OnnxGraphWriter graph)
    {
        var b = (BatchNorm)layer;
        graph.AddNode("BatchNormalization", b.Name, graph.AddInitializer(b.Weight), graph.AddInitializer(b.Bias),
                      graph.AddInitializer(b.RunningMean), graph.AddInitializer(b.RunningVar))
             .WithFloat("epsilon", b.Eps)
             .WithFloat("momentum", Complement(b.Momentum));
    }

    public override OnnxImportStep Import(NodeProto node, OnnxGraphReader graph)
    {
        var input = graph.Current;
        if (input.Rank is not (1 or 3))
            throw new NotSupportedException($"ONNX {node.Describe()}: BatchNormalization reads (N, C, H, W) or (N, features) here but the value it gets is (N, {string.Join(", ", input.ToArray())}).");
        if (node.Int("training_mode", 0) != 0 || node.Output.Skip(1).Any(o => o.Length > 0))
            throw new NotSupportedException($"ONNX {node.Describe()}: BatchNormalization in training mode (computing batch statistics) is not supported; export the model for inference.");
        if (graph.Opset < 9 && node.Int("spatial", 1) != 1)
            throw new NotSupportedException($"ONNX {node.Describe()}: BatchNormalization with spatial = 0 (statistics per position) is not supported.");
        int channels = input[0];
        var values = new[] { (1, "scale"), (2, "bias"), (3, "mean"), (4, "variance") }.Select(r =>
        {
            var c = graph.Floats(node, r.Item1, r.Item2);
            if (c.Values.Length != channels || c.Dims.Length != 1)
                throw new InvalidDataException($"ONNX {node.Describe()}: {r.Item2} '{c.Name}' is {c.DimsText}, expected [{channels}] (one per channel).");
            return c;
        }).ToArray();
        var variance = values[3];
        int negative = Array.FindIndex(variance.Values, v => v < 0);
        if (negative >= 0)
            throw new InvalidDataException($"ONNX {node.Describe()}: variance '{variance.Name}' holds {variance.Values[negative]} at index {negative}; a variance cannot be negative.");
        float eps = node.Float("epsilon", 1e-5f), onnxMomentum = node.Float("momentum", 0.9f);
        if (!(onnxMomentum >= 0 && onnxMomentum <= 1))
            throw new InvalidDataException($"ONNX {node.Describe()}: momentum {onnxMomentum} is outside [0, 1].");
        float momentum = Complement(onnxMomentum);
        BatchNorm layer;
        try { layer = input.Rank == 3 ? new BatchNorm2d(eps, momentum) : new BatchNorm1d(eps, momentum); }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"ONNX {node.Describe()}: {e.Message}", e);
        }
        return new OnnxImportStep(layer, [values[0].Values, values[1].Values], node.Output[0], [values[2].Values, values[3].Values]);
    }

    // 1 − m in decimal from m's 7 significant digits, so that 0.1 and 0.9 map onto each other exactly (in float, 1 − 0.9f
    // is 0.10000002, which would then show in the spec).
    private static float Complement(float m) => (float)(1m - (decimal)m);
}
