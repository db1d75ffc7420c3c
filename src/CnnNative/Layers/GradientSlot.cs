using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// Where a backward pass leaves one parameter's gradient: a tensor that accumulates, with a pending zero that costs
/// nothing until it is read. A <see cref="Parameter"/> has one; a data-parallel step's shard has one per parameter
/// of its own (Training/DataParallelStep.cs), on its lane, so that shards never add into the same memory.
/// </summary>
internal sealed class GradientSlot : IDisposable
{
    private readonly Tensor _gradient;
    /// <summary>Set by <see cref="Zero"/>: the gradient is 0 but its buffer not yet filled.</summary>
    private bool _zeroPending;

    public GradientSlot(IDevice device, Shape shape) => _gradient = Tensor.Zeros(device, shape);

    /// <summary>The gradient, its pending zero filled first.</summary>
    public Tensor Current
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
    /// The gradient is 0 from now on. The buffer is filled when it is next read, unless an op that can overwrite it
    /// claims it first (<see cref="TakeZero"/>): a dense layer's weight gradient is then written by its GEMM with
    /// beta = 0, which spares filling and rereading the layer's largest buffer every step.
    /// </summary>
    public void Zero() => _zeroPending = true;

    /// <summary>
    /// Whether the gradient is a pending 0, for an op about to compute it that can overwrite instead of add: true
    /// hands the buffer over unfilled (the op must write every value), false means add to what is there.
    /// </summary>
    public bool TakeZero()
    {
        bool zero = _zeroPending;
        _zeroPending = false;
        return zero;
    }

    /// <summary>The buffer as it stands, a pending zero left pending (for a reduction that reads <see cref="IsZero"/> itself).</summary>
    public Tensor Unfilled => _gradient;

    /// <summary>Whether a zero is pending.</summary>
    public bool IsZero => _zeroPending;

    public void Dispose() => _gradient.Dispose();
}
