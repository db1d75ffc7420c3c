namespace CnnNative.Devices.OpenCL;

/// <summary>
/// A cl_mem of Length floats in an <see cref="OpenClDevice"/>'s context, owned through a <see cref="ClMemHandle"/>:
/// Dispose (or the device's Dispose) releases it at once; the handle's finaliser is only a safety net for buffers a
/// caller forgot.
/// </summary>
internal sealed class OpenClBuffer : DeviceBuffer
{
    private readonly ClMemHandle _mem;

    internal OpenClBuffer(OpenClDevice device, ClMemHandle mem, int length) : base(device, length) => _mem = mem;

    /// <summary>The cl_mem as a kernel argument; throws when the buffer was disposed.</summary>
    internal ClMem Mem
    {
        get { ThrowIfDisposed(); return new ClMem(_mem.Raw); }
    }

    private protected override void Release() => _mem.Dispose();
}
