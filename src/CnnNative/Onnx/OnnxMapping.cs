using CnnNative.Layers;
using CnnNative.Onnx.Protos;

namespace CnnNative.Onnx;

/// <summary>
/// How one kind of layer becomes ONNX nodes and back: <see cref="Export"/> writes it, <see cref="Import"/> reads the
/// ONNX ops listed in <see cref="OpTypes"/>. Every mapping is listed in <see cref="OnnxMappings.All"/>; a new layer
/// kind is one more mapping there.
/// </summary>
internal abstract class OnnxMapping
{
    /// <summary>Standard-domain ONNX op types this mapping imports.</summary>
    public abstract IReadOnlyList<string> OpTypes { get; }

    /// <summary>Whether this mapping exports <paramref name="layer"/>.</summary>
    public abstract bool Exports(Layer layer);

    /// <summary>Writes <paramref name="layer"/> as nodes reading <see cref="OnnxGraphWriter.Current"/>.</summary>
    public abstract void Export(Layer layer, OnnxGraphWriter graph);

    /// <summary>
    /// Reads <paramref name="node"/> (whose first input is the value the chain has reached) and may read nodes that
    /// follow it (marking them consumed): the layer to append, if any, and the ONNX value the chain continues from.
    /// </summary>
    public abstract OnnxImportStep Import(NodeProto node, OnnxGraphReader graph);
}

/// <summary>
/// One step of an import: the layer to append (null for nodes that change nothing, such as Identity), the values of
/// its parameters in the order of <see cref="Layer.Parameters"/>, the ONNX value the chain has reached after it, and
/// the values of its buffers in the order of <see cref="Layer.Buffers"/>.
/// </summary>
internal sealed record OnnxImportStep(Layer? Layer, IReadOnlyList<float[]> Parameters, string Output, IReadOnlyList<float[]> Buffers)
{
    public static OnnxImportStep Skip(string output) => new(null, [], output, []);

    public static OnnxImportStep Of(Layer layer, string output, params float[][] parameters) => new(layer, parameters, output, []);
}
