namespace CnnNative.Devices.Cpu.Simd;

/// <summary>
/// One float vector of the cpu device's width, as its kernels see it: they are written once, generic over
/// <typeparamref name="TSelf"/>, and the JIT compiles a separate body for each width (<see cref="V256"/>,
/// <see cref="V512"/>) in which every member below is inlined and <see cref="Count"/>, <see cref="TileRows"/> are
/// constants. A device picks the width once, at creation (<see cref="CpuIsa"/>).
/// </summary>
/// <remarks>
/// The members are the few operations the kernels use. <see cref="MulAdd"/> is fused where the processor has FMA
/// for this width, else a multiply then an add (the portable fallback); a width without hardware support still
/// computes correctly, in software (slowly), which is how tests run the 512-bit kernels on AVX2-only machines.
/// </remarks>
internal unsafe interface IVec<TSelf> where TSelf : unmanaged, IVec<TSelf>
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    /// <summary>
    /// Rows of the GEMM-style register tiles (rows × 2 vectors of accumulators): as many as the register file
    /// holds with the two B vectors and a broadcast beside them (6 of 16 ymm registers; 14 of 32 zmm).
    /// </summary>
    static abstract int TileRows { get; }

    /// <summary>Whether the processor runs this width in hardware (else the JIT emulates it).</summary>
    static abstract bool IsHardwareAccelerated { get; }

    /// <summary>Whether <see cref="MulAdd"/> is one fused instruction.</summary>
    static abstract bool IsFused { get; }

    static abstract TSelf Zero { get; }
    static abstract TSelf One { get; }
    static abstract TSelf Load(float* source);
    static abstract TSelf Broadcast(float value);
    static abstract void Store(TSelf value, float* destination);

    /// <summary>a·b + c, fused where the hardware can (see the remarks).</summary>
    static abstract TSelf MulAdd(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Max(TSelf a, TSelf b);
    static abstract TSelf Min(TSelf a, TSelf b);
    static abstract TSelf Abs(TSelf a);
    static abstract TSelf Sqrt(TSelf a);
    static abstract TSelf Exp(TSelf a);
    /// <summary>|a| with the sign of <paramref name="sign"/>.</summary>
    static abstract TSelf CopySign(TSelf a, TSelf sign);
    /// <summary>x where x &gt; 0, else 0 (NaN gives 0): ReLU, as <c>x &gt; 0 ? x : 0</c>.</summary>
    static abstract TSelf Relu(TSelf x);
    /// <summary>1 where y &gt; 0, else 0: ReLU's derivative from its output.</summary>
    static abstract TSelf PositiveMask(TSelf y);
    /// <summary>The sum of the lanes, in <see cref="System.Runtime.Intrinsics.Vector256.Sum{T}"/>'s order for the width.</summary>
    static abstract float Sum(TSelf value);
    /// <summary>All bits set in the lanes where a &gt; b (false with NaN), else 0: a mask for <see cref="Select"/> and the bitwise operators.</summary>
    static abstract TSelf GreaterThan(TSelf a, TSelf b);
    /// <summary>whenTrue's bits where mask's are set, else whenFalse's.</summary>
    static abstract TSelf Select(TSelf mask, TSelf whenTrue, TSelf whenFalse);
    /// <summary>a &amp; ~b, bitwise.</summary>
    static abstract TSelf AndNot(TSelf a, TSelf b);

    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf operator /(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a);
    static abstract TSelf operator &(TSelf a, TSelf b);
    static abstract TSelf operator |(TSelf a, TSelf b);
    static abstract TSelf operator ~(TSelf a);
}
