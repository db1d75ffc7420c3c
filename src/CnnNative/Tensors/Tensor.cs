using CnnNative.Devices;

namespace CnnNative.Tensors;

/// <summary>
/// A float32 volume on one device: a shape over a device buffer. A tensor either owns its buffer
/// (disposing the tensor frees it) or is a view of a buffer someone else owns (a layer's workspace,
/// sized for the largest batch, viewed with the current batch's shape).
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly bool _ownsBuffer;

    private Tensor(DeviceBuffer buffer, Shape shape, bool ownsBuffer)
    {
        if (shape.Size > buffer.Length)
            throw new ArgumentException($"Shape {shape} needs {shape.Size} elements but the buffer holds {buffer.Length}.", nameof(shape));
        Buffer = buffer;
        Shape = shape;
        _ownsBuffer = ownsBuffer;
    }

    /// <summary>The device memory the tensor reads (at least <see cref="Length"/> floats).</summary>
    public DeviceBuffer Buffer { get; }
    /// <summary>The dimensions, batch first for a batch (N, C, H, W).</summary>
    public Shape Shape { get; }
    /// <summary>The device the memory lives on.</summary>
    public IDevice Device => Buffer.Device;

    /// <summary>Number of elements (the product of the shape).</summary>
    public int Length => Shape.Size;

    /// <summary>A new zero-filled tensor that owns its memory.</summary>
    public static Tensor Zeros(IDevice device, Shape shape) => new(device.Allocate(shape.Size), shape, ownsBuffer: true);

    /// <summary>A new tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromSpan(IDevice device, Shape shape, ReadOnlySpan<float> values)
    {
        if (values.Length != shape.Size)
            throw new ArgumentException($"Shape {shape} needs {shape.Size} values, got {values.Length}.", nameof(values));
        var t = Zeros(device, shape);
        device.Upload(values, t.Buffer);
        return t;
    }

    /// <summary>A non-owning view of <paramref name="buffer"/> with <paramref name="shape"/>.</summary>
    public static Tensor View(DeviceBuffer buffer, Shape shape) => new(buffer, shape, ownsBuffer: false);

    /// <summary>The same memory seen with another shape of the same size or smaller (non-owning).</summary>
    public Tensor Reshape(Shape shape) => new(Buffer, shape, ownsBuffer: false);

    /// <summary>Copies the tensor's elements to a new host array (waits for the device).</summary>
    public float[] ToArray()
    {
        var a = new float[Length];
        Device.Download(Buffer, a);
        return a;
    }

    /// <summary>Copies the tensor's elements into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<float> destination)
    {
        if (destination.Length < Length)
            throw new ArgumentException($"Destination holds {destination.Length} elements; tensor {Shape} has {Length}.", nameof(destination));
        Device.Download(Buffer, destination.Slice(0, Length));
    }

    /// <summary>Frees the buffer when the tensor owns it; a view leaves it to its owner.</summary>
    public void Dispose()
    {
        if (_ownsBuffer) Buffer.Dispose();
    }

    /// <summary>Shape and device, e.g. "Tensor(64, 1, 28, 28) on cpu".</summary>
    public override string ToString() => $"Tensor{Shape} on {Device.Name}";
}
