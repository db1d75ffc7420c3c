using CnnNative.Diagnostics;
using CnnNative.Onnx;
using CnnNative.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace CnnNative.Cli.Bench;

/// <summary>
/// An ONNX model with one input and one output (as <see cref="OnnxExporter"/> writes them) in an ONNX Runtime session on
/// the CPU execution provider: intra-op threads as given, one inter-op thread, sequential execution.
/// </summary>
public sealed class OnnxRuntimeSession : IInferenceSession
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly Shape _input, _output;
    private readonly string[] _inputNames, _outputNames;

    /// <summary>Loads <paramref name="onnx"/> (an .onnx file's bytes) whose input is a batch of <paramref name="input"/>.</summary>
    public OnnxRuntimeSession(byte[] onnx, Shape input, Shape output, int threads,
                              GraphOptimizationLevel optimization = GraphOptimizationLevel.ORT_ENABLE_ALL, string? optimizedModelPath = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        (_input, _output) = (input, output);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = optimization,
        };
        if (optimizedModelPath is not null) options.OptimizedModelFilePath = optimizedModelPath;
        _session = new InferenceSession(onnx, options);
        (_inputNames, _outputNames) = ([_session.InputNames.Single()], [_session.OutputNames.Single()]);
    }

    /// <inheritdoc/>
    public float[] Predict(float[] images, int count)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (count <= 0 || images.Length != count * _input.Size)
            throw new ArgumentException($"{Output.Counts.Of(count, "sample")} of {_input} need {(long)count * _input.Size} values, got {images.Length}.", nameof(images));
        var result = new float[count * _output.Size];
        // Both tensors wrap the managed arrays: ONNX Runtime reads and writes them in place.
        using var x = OrtValue.CreateTensorValueFromMemory(images, Dims(count, _input));
        using var y = OrtValue.CreateTensorValueFromMemory(result, Dims(count, _output));
        _session.Run(_run, _inputNames, [x], _outputNames, [y]);
        return result;
    }

    private static long[] Dims(int count, Shape shape) => [count, .. shape.ToArray().Select(d => (long)d)];

    /// <inheritdoc/>
    public void Dispose()
    {
        _session.Dispose();
        _run.Dispose();
    }
}
