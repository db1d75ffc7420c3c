namespace CnnNative.Onnx;

/// <summary>The conventions of the ONNX files CnnNative writes, and what it accepts when it reads one.</summary>
public static class OnnxFormat
{
    /// <summary>The standard operator set the exporter targets (Softmax with an axis, Dropout's ratio as an input).</summary>
    public const int Opset = 13;

    /// <summary>IR version 7 is the one that goes with opset 13: every ONNX Runtime since 1.6 and PyTorch read it.</summary>
    public const int IrVersion = 7;

    /// <summary>The oldest standard opset the importer reads; older files follow rules (Gemm broadcast, Reshape's shape attribute) it does not know.</summary>
    public const int OldestImportedOpset = 7;

    /// <summary>Name of the graph input the exporter writes: a float32 (N, C, H, W) or (N, features) batch.</summary>
    public const string InputName = "input";

    /// <summary>Name of the graph output the exporter writes.</summary>
    public const string OutputName = "output";

    /// <summary>The free (dynamic) batch dimension of the exported input and output.</summary>
    public const string BatchDimension = "N";

    /// <summary>The standard operator set's domain is spelled "" or "ai.onnx".</summary>
    internal static bool IsStandardDomain(string domain) => domain is "" or "ai.onnx";
}
