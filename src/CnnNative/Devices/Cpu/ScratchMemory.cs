using System.Runtime.InteropServices;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// A growable block of 64-byte aligned native scratch memory owned by the cpu device (im2col columns, packed GEMM
/// panels, partial sums). It only grows, so after the first batch an op finds it big enough and allocates nothing.
/// Contents are not preserved when it grows.
/// </summary>
internal sealed unsafe class ScratchMemory : IDisposable
{
    private float* _data;
    private long _capacity;

    /// <summary>At least <paramref name="floats"/> floats of scratch memory; valid until the next call or disposal.</summary>
    public float* Ensure(long floats)
    {
        if (floats <= _capacity) return _data;
        Free();
        long rounded = Align(floats);
        _data = (float*)NativeMemory.AlignedAlloc((nuint)(rounded * sizeof(float)), 64);
        _capacity = rounded;
        return _data;
    }

    /// <summary>Floats rounded up so that sub-blocks carved out of scratch memory stay 64-byte aligned.</summary>
    public static long Align(long floats) => (floats + 15) & ~15L;

    private void Free()
    {
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
        _capacity = 0;
    }

    public void Dispose() => Free();
}
