using CnnNative.Devices;
using CnnNative.Diagnostics;
using CnnNative.Onnx;
using CnnNative.Training;
using Microsoft.ML.OnnxRuntime;

namespace CnnNative.Cli.Bench;

/// <summary>
/// ONNX Runtime as `cnn bench`'s inference anchor (device "onnxruntime"): the model exported with
/// <see cref="OnnxExporter"/>, run by the CPU execution provider with every graph optimisation on, on the same number
/// of threads as the devices. It lives in the tool, not the library, so that the CnnNative package needs no ONNX Runtime.
/// </summary>
internal sealed class OnnxRuntimeEngine : IInferenceEngine
{
    /// <summary>The name `cnn bench --devices` knows it by.</summary>
    public const string EngineName = "onnxruntime";

    /// <inheritdoc/>
    public string Name => EngineName;

    /// <summary>ONNX Runtime's own version string, e.g. "1.31.1"; throws <see cref="DeviceNotFoundException"/> when it cannot load.</summary>
    public static string Version
    {
        get
        {
            try { return OrtEnv.Instance().GetVersionString(); }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
            {
                throw new DeviceNotFoundException($"ONNX Runtime's native library could not be loaded: {e.Message}", e);
            }
        }
    }

    /// <inheritdoc/>
    public IInferenceSession Open(Sequential model, int threads)
    {
        _ = Version; // a missing native library becomes DeviceNotFoundException here, as a missing device does
        return new OnnxRuntimeSession(OnnxExporter.ToBytes(model), model.InputShape, model.OutputShape, threads);
    }
}
