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
        _gradient = Tensor.Zeros(device, shape);
    }

    private readonly Tensor _gradient;
    /// <summary>Set by <see cref="ZeroGradient"/>: the gradient is 0 but its buffer not yet filled.</summary>
    private bool _zeroPending;

    /// <summary>Name within the model, e.g. "conv2d_1.weight".</summary>
    public string Name { get; internal set; }

    /// <summary>The parameter's shape.</summary>
    public Shape Shape => Value.Shape;
    /// <summary>The values, on the layer's device.</summary>
    public Tensor Value { get; }
    /// <summary>dLoss/dValue, accumulated by Backward until the optimizer's ZeroGrad.</summary>
    public Tensor Gradient
    {
        get
        {
            if (_zeroPending)
            {
                _zeroPending = false;
                _gradient.Device.Fill(_gradient.Buffer, _gradient.Length, 0f);
            }
            return _gradient;
        }
    }

    /// <summary>
    /// The optimizer's ZeroGrad: the gradient is 0 from now on. The buffer is filled when it is next read, unless an op
    /// that can overwrite it claims it first (<see cref="TakeZeroGradient"/>): a dense layer's weight gradient is then
    /// written by its GEMM with beta = 0, which spares filling and rereading the layer's largest buffer every step.
    /// </summary>
    internal void ZeroGradient() => _zeroPending = true;

    /// <summary>
    /// Whether the gradient is a pending 0, for an op about to compute it that can overwrite instead of add: true
    /// hands the buffer over unfilled (the op must write every value), false means add to what is there.
    /// </summary>
    internal bool TakeZeroGradient()
    {
        bool zero = _zeroPending;
        _zeroPending = false;
        return zero;
    }
    /// <summary>Number of values.</summary>
    public int Length => Value.Length;

    /// <summary>Frees the value and the gradient.</summary>
    public void Dispose()
    {
        Value.Dispose();
        _gradient.Dispose();
    }

    /// <summary>Name and shape, e.g. "conv2d_1.weight (32, 1, 5, 5)".</summary>
    public override string ToString() => $"{Name} {Shape}";
}
