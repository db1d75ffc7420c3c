using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Tensors;

namespace CnnNative.Training;

/// <summary>
/// The memory of one Predict or Evaluate call through a model: every layer's <see cref="LayerScratch"/>, the buffer
/// the input is uploaded to, and the targets and loss gradient Evaluate needs. One caller uses it at a time.
/// </summary>
internal sealed class PassScratch : IDisposable
{
    private readonly LayerScratch[] _layers;

    public PassScratch(IDevice device, int layerCount)
    {
        _layers = new LayerScratch[layerCount];
        for (int i = 0; i < layerCount; i++) _layers[i] = new LayerScratch(device) { FoldsNorms = true };
        (Input, Target, LossGradient) = (new Workspace(device), new Workspace(device), new Workspace(device));
    }

    /// <summary>How many layers this scratch serves (a model that grew since needs a new one).</summary>
    public int LayerCount => _layers.Length;

    /// <summary>Layer <paramref name="index"/>'s scratch.</summary>
    public LayerScratch this[int index] => _layers[index];

    public Workspace Input { get; }
    public Workspace Target { get; }
    public Workspace LossGradient { get; }

    public void Dispose()
    {
        foreach (var l in _layers) l.Dispose();
        Input.Dispose();
        Target.Dispose();
        LossGradient.Dispose();
    }
}
