namespace CnnNative.Devices.OpenCL;

/// <summary>
/// A cl_mem of Length floats in an <see cref="OpenClDevice"/>'s context. Dispose releases it at once; the
/// finaliser is only a safety net for buffers a caller forgot (OpenCL allows clReleaseMemObject from any thread,
/// and the object holds its own reference on the context, so the order of disposal does not matter).
/// </summary>
public sealed class OpenClBuffer : DeviceBuffer
{
    private nint _mem;

    internal OpenClBuffer(OpenClDevice device, nint mem, int length) : base(device, length)
    {
        _mem = mem;
    }

    ~OpenClBuffer() => Release();

    /// <summary>The cl_mem handle; throws when the buffer was disposed.</summary>
    internal nint Handle
    {
        get { ThrowIfDisposed(); return _mem; }
    }

    protected override void Release()
    {
        nint mem = Interlocked.Exchange(ref _mem, 0);
        if (mem != 0) OpenClPlatforms.Api?.ReleaseMemObject(mem);
    }
}
