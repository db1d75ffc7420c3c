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
    /// How the device keeps the elements in memory: the logical NCHW order, or (cpu device) channel-blocked
    /// NCHW[8|16]c activations described by <see cref="Blocks"/>. Only the device changes it, under its op lock; every
    /// op that does not read the blocked form, and Download, first puts the buffer back in the logical order
    /// (<see cref="DeviceBase.RestoreLogical"/>), so what a caller sees is always NCHW.
    /// </summary>
    internal PhysicalLayout Layout { get; private set; }

    /// <summary>The blocked tensor's sizes when <see cref="Layout"/> is <see cref="PhysicalLayout.ChannelBlocked"/>.</summary>
    internal ChannelBlocks Blocks { get; private set; }

    /// <summary>Records that the first <c>blocks.Floats</c> elements now hold a channel-blocked tensor.</summary>
    internal void MarkBlocked(in ChannelBlocks blocks) => (Layout, Blocks) = (PhysicalLayout.ChannelBlocked, blocks);

    /// <summary>Records that the elements are in the logical order again.</summary>
    internal void MarkLogical() => (Layout, Blocks) = (PhysicalLayout.Logical, default);

    /// <summary>
    /// A hint from the buffer's user (a layer's inference output whose next layer reads it through the device's ops
    /// only): the device may leave the op's output in a layout of its own. Without it every op writes NCHW.
    /// </summary>
    internal bool PrivateLayoutAllowed { get; set; }

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

    /// <summary>
    /// NCHW[B]c: channels in blocks of B (8 or 16, a vector), each block's planes interleaved, so element (n, c, i) of
    /// an (N, C, plane) tensor lies at ((n·C/B + c/B)·plane + i)·B + c % B (see <see cref="ChannelBlocks"/>).
    /// </summary>
    ChannelBlocked = 1,
}

/// <summary>
/// The sizes of a channel-blocked tensor (<see cref="PhysicalLayout.ChannelBlocked"/>): <paramref name="N"/> images of
/// <paramref name="C"/> channels (a multiple of <paramref name="Block"/>) of <paramref name="Plane"/> positions each.
/// </summary>
internal readonly record struct ChannelBlocks(int N, int C, int Plane, int Block)
{
    /// <summary>Elements the tensor spans.</summary>
    public long Floats => (long)N * C * Plane;

    /// <summary>Whether the blocked tensor is the (n, c, plane) one an op names.</summary>
    public bool Holds(int n, int c, int plane) => N == n && C == c && Plane == plane;
}
