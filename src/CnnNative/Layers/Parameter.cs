using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>A trainable tensor and its gradient, both on the layer's device. Gradients accumulate until zeroed.</summary>
public sealed class Parameter : IDisposable
{
    internal Parameter(IDevice device, string name, Shape shape)
    {
        Name = name;
        Value = Tensor.Zeros(device, shape);
        Gradient = Tensor.Zeros(device, shape);
    }

    /// <summary>Name within the model, e.g. "conv2d_1.weight".</summary>
    public string Name { get; internal set; }

    public Shape Shape => Value.Shape;
    public Tensor Value { get; }
    public Tensor Gradient { get; }
    public int Length => Value.Length;

    public void Dispose()
    {
        Value.Dispose();
        Gradient.Dispose();
    }

    public override string ToString() => $"{Name} {Shape}";
}
