namespace CnnNative.Devices;

/// <summary>
/// The vector width the cpu device's kernels run at, chosen once when the device is created
/// (<see cref="CpuDeviceOptions.Isa"/>). Every kernel is written once over the width; results are bitwise the same
/// for a given width and thread count, and may differ in rounding between widths (sums are split differently).
/// </summary>
public enum CpuIsa
{
    /// <summary>The widest the processor runs in hardware: <see cref="Vector512"/> where AVX-512F is present, else <see cref="Vector256"/>.</summary>
    Auto,
    /// <summary>256-bit vectors (AVX2+FMA; on processors without them .NET runs the same code without FMA, more slowly).</summary>
    Vector256,
    /// <summary>512-bit vectors (AVX-512F) with larger register tiles; on processors without AVX-512 .NET emulates them in software (for tests).</summary>
    Vector512,
}
