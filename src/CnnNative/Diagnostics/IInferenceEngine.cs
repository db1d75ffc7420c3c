using CnnNative.Training;

namespace CnnNative.Diagnostics;

/// <summary>
/// An inference runtime outside CnnNative that <see cref="BenchSuite"/> times on the same built-in models and images as
/// the devices, as the anchor our inference is compared with (the `cnn` tool plugs in ONNX Runtime this way, so the
/// library itself does not depend on it).
/// </summary>
internal interface IInferenceEngine
{
    /// <summary>The name it is asked for by and reported under, in place of a device name ("onnxruntime").</summary>
    string Name { get; }

    /// <summary>Loads <paramref name="model"/> (its architecture and current weights) to run on <paramref name="threads"/> threads.</summary>
    IInferenceSession Open(Sequential model, int threads);
}
