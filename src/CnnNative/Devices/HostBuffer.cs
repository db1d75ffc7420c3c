using System.Runtime.InteropServices;

namespace CnnNative.Devices;

/// <summary>
/// Device memory that lives in the process's own address space (reference, cpu and native devices):
/// 64-byte aligned native memory, so vector loads never split a cache line at the start of a row
/// and the garbage collector never moves it while native code or SIMD loops hold a pointer.
/// </summary>
internal sealed unsafe class HostBuffer : DeviceBuffer
{
    private float* _data;

    internal HostBuffer(DeviceBase device, int length) : base(device, length)
    {
        nuint bytes = (nuint)Math.Max(length, 1) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_data, bytes);
    }

    ~HostBuffer() => Release();

    /// <summary>Raw pointer to element 0; valid until disposal.</summary>
    public float* Pointer
    {
        get { ThrowIfDisposed(); return _data; }
    }

    /// <summary>The whole buffer as a span.</summary>
    public Span<float> Span
    {
        get { ThrowIfDisposed(); return new Span<float>(_data, Length); }
    }

    private protected override void Release()
    {
        // Free and the finaliser never run together: the finaliser runs only once nothing can reach the buffer.
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
    }
}
