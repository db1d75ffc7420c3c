namespace CnnNative.Devices.Native;

/// <summary>
/// The instruction set of the native device's GEMM and convolution kernels (cnn_native.h's CNN_ISA_* values). The
/// library holds both builds and picks one per device, when it is created; every other op is the same on both.
/// </summary>
public enum NativeIsa
{
    /// <summary>The widest set this processor runs: <see cref="Avx512"/> where AVX-512F is present, else <see cref="Avx2"/>.</summary>
    Auto = 0,

    /// <summary>256-bit AVX2 + FMA kernels; on an AVX-512 processor this keeps to them (to compare or test both).</summary>
    Avx2 = 1,

    /// <summary>512-bit AVX-512F kernels (twice the FMA rate of AVX2 on processors with full-width AVX-512 units).</summary>
    Avx512 = 2,
}
