namespace CnnNative.Devices;

/// <summary>
/// Memory handling shared by the devices whose memory is the host's own (reference, cpu, native):
/// buffers are <see cref="HostBuffer"/>s, upload and download are span copies, and work is synchronous.
/// </summary>
public abstract class HostDevice
{
    private bool _disposed;

    protected HostDevice(string name) => Name = name;

    public string Name { get; }

    public DeviceBuffer Allocate(int length)
    {
        ThrowIfDisposed();
        Checks.NonNegative(length, "Allocate");
        return new HostBuffer((IDevice)this, length);
    }

    public void Upload(ReadOnlySpan<float> source, DeviceBuffer destination, int offset = 0)
    {
        Checks.NonNegative(offset, "Upload");
        Checks.Buffer((IDevice)this, destination, (long)offset + source.Length, "Upload");
        source.CopyTo(((HostBuffer)destination).Span.Slice(offset));
    }

    public void Download(DeviceBuffer source, Span<float> destination, int offset = 0)
    {
        Checks.NonNegative(offset, "Download");
        Checks.Buffer((IDevice)this, source, (long)offset + destination.Length, "Download");
        ((HostBuffer)source).Span.Slice(offset, destination.Length).CopyTo(destination);
    }

    public virtual void Synchronize() { }

    /// <summary>The span of a buffer after checking it belongs here and holds <paramref name="needed"/> elements.</summary>
    protected Span<float> Host(DeviceBuffer buffer, long needed, string op, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(buffer))] string name = "")
    {
        Checks.Buffer((IDevice)this, buffer, needed, op, name);
        return ((HostBuffer)buffer).Span;
    }

    protected void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(Name, $"Device '{Name}' was used after it was disposed.");
    }

    public virtual void Dispose() => _disposed = true;
}
