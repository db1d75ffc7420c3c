using CnnNative.Devices;

namespace CnnNative.Tensors;

/// <summary>
/// A reusable device buffer for a layer's output or gradient. It grows to the largest batch seen and is then
/// reused: in the steady state of training, getting a view allocates nothing (the last view is cached).
/// </summary>
public sealed class Workspace : IDisposable
{
    private readonly IDevice _device;
    private DeviceBuffer? _buffer;
    private Tensor? _view;

    /// <summary>An empty workspace on <paramref name="device"/>; memory is taken at the first <see cref="Get"/>.</summary>
    public Workspace(IDevice device) => _device = device;

    /// <summary>A tensor of <paramref name="shape"/> over this workspace's memory (contents undefined).</summary>
    public Tensor Get(Shape shape)
    {
        if (_view is not null && _view.Shape == shape) return _view;
        if (_buffer is null || _buffer.Length < shape.Size)
        {
            _buffer?.Dispose();
            _buffer = _device.Allocate(shape.Size);
        }
        _view = Tensor.View(_buffer, shape);
        return _view;
    }

    /// <summary>Frees the memory; a later <see cref="Get"/> allocates afresh.</summary>
    public void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
        _view = null;
    }
}
