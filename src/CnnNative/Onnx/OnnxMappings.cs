using CnnNative.Layers;
using CnnNative.Onnx.Mappings;

namespace CnnNative.Onnx;

/// <summary>Every layer kind's ONNX mapping, in one list: export and import both look here.</summary>
internal static class OnnxMappings
{
    public static IReadOnlyList<OnnxMapping> All { get; } =
    [
        new ConvMapping(),
        new ActivationMapping(),
        new PoolMapping(),
        new GlobalPoolMapping(),
        new BatchNormMapping(),
        new FlattenMapping(),
        new LinearMapping(),
        new SoftmaxMapping(),
        new DropoutMapping(),
    ];

    private static readonly Dictionary<string, OnnxMapping> ByOpType =
        All.SelectMany(m => m.OpTypes.Select(op => (op, m))).ToDictionary(p => p.op, p => p.m);

    /// <summary>The standard ONNX ops the importer reads (besides Constant), for messages.</summary>
    public static IEnumerable<string> ImportedOps => ByOpType.Keys.Order(StringComparer.Ordinal);

    public static OnnxMapping? ForLayer(Layer layer) => All.FirstOrDefault(m => m.Exports(layer));

    public static OnnxMapping? ForOpType(string opType) => ByOpType.GetValueOrDefault(opType);
}
