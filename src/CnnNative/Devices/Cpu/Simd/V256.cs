using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnNative.Devices.Cpu.Simd;

/// <summary>
/// 256-bit vectors (<see cref="Vector256{T}"/> of 8 floats): FMA where the processor has AVX2+FMA, else
/// multiply then add. Register tiles of 6 rows × 2 vectors = 12 of the 16 ymm registers.
/// </summary>
internal readonly unsafe struct V256(Vector256<float> v) : IVec<V256>
{
    public readonly Vector256<float> V = v;

    public static int Count => Vector256<float>.Count;
    public static int TileRows => 6;
    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;
    public static bool IsFused => Fma.IsSupported;
    public static V256 Zero => new(Vector256<float>.Zero);
    public static V256 One => new(Vector256<float>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(float* source) => new(Vector256.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Broadcast(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V256 value, float* destination) => value.V.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 MulAdd(V256 a, V256 b, V256 c) => IsFused ? new(Fma.MultiplyAdd(a.V, b.V, c.V)) : new(a.V * b.V + c.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Max(V256 a, V256 b) => new(Vector256.Max(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Min(V256 a, V256 b) => new(Vector256.Min(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Abs(V256 a) => new(Vector256.Abs(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Sqrt(V256 a) => new(Vector256.Sqrt(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Exp(V256 a) => new(Vector256.Exp(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 CopySign(V256 a, V256 sign) => new(Vector256.CopySign(a.V, sign.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Relu(V256 x) => new(Vector256.ConditionalSelect(Vector256.GreaterThan(x.V, Vector256<float>.Zero), x.V, Vector256<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 PositiveMask(V256 y) => new(Vector256.ConditionalSelect(Vector256.GreaterThan(y.V, Vector256<float>.Zero), Vector256<float>.One, Vector256<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(V256 value) => Vector256.Sum(value.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 GreaterThan(V256 a, V256 b) => new(Vector256.GreaterThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Select(V256 mask, V256 whenTrue, V256 whenFalse) => new(Vector256.ConditionalSelect(mask.V, whenTrue.V, whenFalse.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 AndNot(V256 a, V256 b) => new(Vector256.AndNot(a.V, b.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator +(V256 a, V256 b) => new(a.V + b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator -(V256 a, V256 b) => new(a.V - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator *(V256 a, V256 b) => new(a.V * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator /(V256 a, V256 b) => new(a.V / b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator -(V256 a) => new(-a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator &(V256 a, V256 b) => new(a.V & b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator |(V256 a, V256 b) => new(a.V | b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator ~(V256 a) => new(~a.V);
}
