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
        Slot = new GradientSlot(device, shape);
    }

    /// <summary>Name within the model, e.g. "conv2d_1.weight".</summary>
    public string Name { get; internal set; }

    /// <summary>The parameter's shape.</summary>
    public Shape Shape => Value.Shape;
    /// <summary>The values, on the layer's device.</summary>
    public Tensor Value { get; }
    /// <summary>dLoss/dValue, accumulated by Backward until the optimizer's ZeroGrad.</summary>
    public Tensor Gradient => Slot.Current;

    /// <summary>The gradient with its pending-zero protocol (<see cref="GradientSlot"/>).</summary>
    internal GradientSlot Slot { get; }

    /// <summary>The optimizer's ZeroGrad: the gradient is 0 from now on (see <see cref="GradientSlot.Zero"/>).</summary>
    internal void ZeroGradient() => Slot.Zero();

    /// <summary>Number of values.</summary>
    public int Length => Value.Length;

    /// <summary>Frees the value and the gradient.</summary>
    public void Dispose()
    {
        Value.Dispose();
        Slot.Dispose();
    }

    /// <summary>Name and shape, e.g. "conv2d_1.weight (32, 1, 5, 5)".</summary>
    public override string ToString() => $"{Name} {Shape}";
}
