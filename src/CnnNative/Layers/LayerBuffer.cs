using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// State a layer keeps and updates itself, but that is not trained: PyTorch's buffers, Keras' non-trainable weights
/// (BatchNorm's running mean and variance). It is saved and loaded with the model beside the parameters, counted
/// apart from them, and has no gradient, so the optimizer never touches it.
/// </summary>
public sealed class LayerBuffer : IDisposable
{
    internal LayerBuffer(IDevice device, string name, Shape shape, bool nonNegative)
    {
        Name = name;
        Value = Tensor.Zeros(device, shape);
        NonNegative = nonNegative;
    }

    /// <summary>Name within the model, e.g. "bn_1.running_var".</summary>
    public string Name { get; internal set; }

    /// <summary>The buffer's shape.</summary>
    public Shape Shape => Value.Shape;
    /// <summary>The values, on the layer's device.</summary>
    public Tensor Value { get; }
    /// <summary>Number of values.</summary>
    public int Length => Value.Length;

    /// <summary>Whether every value must be ≥ 0 (a variance); a file holding a negative one is refused on loading.</summary>
    public bool NonNegative { get; }

    /// <summary>Frees the values.</summary>
    public void Dispose() => Value.Dispose();

    /// <summary>Name and shape, e.g. "bn_1.running_var (6)".</summary>
    public override string ToString() => $"{Name} {Shape}";
}
