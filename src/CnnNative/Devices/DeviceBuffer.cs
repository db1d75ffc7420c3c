namespace CnnNative.Devices;

/// <summary>
/// A block of float32 memory owned by one device. Dispose it when done: GPU memory must never be
/// left to the finaliser. Its contents are reached only through the device (Upload/Download and ops).
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(IDevice device, int length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), $"Buffer length must be non-negative, got {length}.");
        Device = device;
        Length = length;
    }

    /// <summary>The device that owns this memory.</summary>
    public IDevice Device { get; }

    /// <summary>Capacity in float32 elements.</summary>
    public int Length { get; }

    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the device memory. Called once.</summary>
    protected abstract void Release();

    /// <summary>Throws when the buffer was disposed; devices call this before touching it.</summary>
    public void ThrowIfDisposed()
    {
        if (IsDisposed) throw new ObjectDisposedException(GetType().Name, $"A {Length}-element buffer of device '{Device.Name}' was used after it was disposed.");
    }

    public override string ToString() => $"{GetType().Name}[{Length}] on {Device.Name}";
}
