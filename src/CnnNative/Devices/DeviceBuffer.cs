namespace CnnNative.Devices;

/// <summary>
/// A block of float32 memory owned by one device. Dispose it when done: GPU memory must never be
/// left to the finaliser. Its contents are reached only through the device (Upload/Download and ops).
/// </summary>
/// <remarks>
/// A buffer is a child of its device: disposing the device frees every buffer not yet disposed, and a later
/// use of such a buffer throws <see cref="ObjectDisposedException"/> saying so. Disposal goes through the
/// device's op lock, so a buffer is never freed while an op of its device runs.
/// </remarks>
public abstract class DeviceBuffer : IDisposable
{
    private readonly DeviceBase _owner;
    // 0 alive, 1 disposed by its owner's user, 2 freed because its device was disposed.
    private int _state;

    private protected DeviceBuffer(DeviceBase device, int length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), $"Buffer length must be non-negative, got {length}.");
        _owner = device;
        Length = length;
        Registration = new WeakReference<DeviceBuffer>(this);
    }

    /// <summary>The device that owns this memory.</summary>
    public IDevice Device => _owner;

    /// <summary>Capacity in float32 elements.</summary>
    public int Length { get; }

    /// <summary>Whether the buffer was disposed, directly or with its device.</summary>
    public bool IsDisposed => Volatile.Read(ref _state) != 0;

    /// <summary>
    /// How the device keeps the elements in memory. Every device keeps the logical NCHW order today; the field
    /// is where a device will record a private layout of its own (channel-blocked NCHW8c/16c activations on the
    /// cpu device), converting only at upload, download and Flatten.
    /// </summary>
    internal PhysicalLayout Layout { get; set; }

    /// <summary>
    /// Counts the ops and uploads that may have written the buffer (the device's checks bump it, under its op
    /// lock), so a device can keep something derived from the contents (the cpu device's packed weights) and know
    /// when it is stale: the same version means the same contents.
    /// </summary>
    internal long Version { get; private set; }

    /// <summary>Counts a write (see <see cref="Version"/>); called under the owner's op lock.</summary>
    internal void Touch() => Version++;

    /// <summary>The device's weak handle on this buffer (so a forgotten buffer can still be finalised).</summary>
    internal WeakReference<DeviceBuffer> Registration { get; }

    internal DeviceBase Owner => _owner;

    /// <summary>Frees the memory now (under the device's op lock). Twice is harmless.</summary>
    public void Dispose() => _owner.Forget(this);

    /// <summary>Marks the buffer disposed and frees its memory; the device calls this under its lock.</summary>
    internal void Free(bool withDevice)
    {
        if (Interlocked.CompareExchange(ref _state, withDevice ? 2 : 1, 0) != 0) return;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the device memory. Called at most once from <see cref="Free"/>; finalisers may call it too, so it must be idempotent.</summary>
    private protected abstract void Release();

    /// <summary>Throws <see cref="ObjectDisposedException"/> when the buffer was disposed, saying whether its device went with it.</summary>
    public void ThrowIfDisposed()
    {
        if (IsDisposed) throw new ObjectDisposedException(GetType().Name, DisposedReason);
    }

    /// <summary>Why the buffer may not be used, for exception messages.</summary>
    internal string DisposedReason => Volatile.Read(ref _state) == 2
        ? $"a {Length}-element buffer of device '{_owner.Name}' was used after its device was disposed (which frees every buffer it owns)."
        : $"a {Length}-element buffer of device '{_owner.Name}' was used after it was disposed.";

    /// <summary>The buffer's type, length and device, for messages.</summary>
    public override string ToString() => $"{GetType().Name}[{Length}] on {_owner.Name}";
}

/// <summary>How a device lays a buffer's elements out in memory (see <see cref="DeviceBuffer"/>'s Layout).</summary>
internal enum PhysicalLayout
{
    /// <summary>The logical order: NCHW, row-major, as uploaded.</summary>
    Logical = 0,
}
