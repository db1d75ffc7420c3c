using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnNative.Devices.Cpu.Simd;

/// <summary>
/// 512-bit vectors (<see cref="Vector512{T}"/> of 16 floats): FMA where the processor has AVX-512F, else
/// multiply then add. Register tiles of 14 rows × 2 vectors = 28 of the 32 zmm registers.
/// </summary>
internal readonly unsafe struct V512(Vector512<float> v) : IVec<V512>
{
    public readonly Vector512<float> V = v;

    public static int Count => Vector512<float>.Count;
    public static int TileRows => 14;
    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;
    public static bool IsFused => Avx512F.IsSupported;
    public static V512 Zero => new(Vector512<float>.Zero);
    public static V512 One => new(Vector512<float>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(float* source) => new(Vector512.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Broadcast(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V512 value, float* destination) => value.V.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 MulAdd(V512 a, V512 b, V512 c) => IsFused ? new(Avx512F.FusedMultiplyAdd(a.V, b.V, c.V)) : new(a.V * b.V + c.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Max(V512 a, V512 b) => new(Vector512.Max(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Min(V512 a, V512 b) => new(Vector512.Min(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Abs(V512 a) => new(Vector512.Abs(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Sqrt(V512 a) => new(Vector512.Sqrt(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Exp(V512 a) => new(Vector512.Exp(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 CopySign(V512 a, V512 sign) => new(Vector512.CopySign(a.V, sign.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Relu(V512 x) => new(Vector512.ConditionalSelect(Vector512.GreaterThan(x.V, Vector512<float>.Zero), x.V, Vector512<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 PositiveMask(V512 y) => new(Vector512.ConditionalSelect(Vector512.GreaterThan(y.V, Vector512<float>.Zero), Vector512<float>.One, Vector512<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(V512 value) => Vector512.Sum(value.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 GreaterThan(V512 a, V512 b) => new(Vector512.GreaterThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Select(V512 mask, V512 whenTrue, V512 whenFalse) => new(Vector512.ConditionalSelect(mask.V, whenTrue.V, whenFalse.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 AndNot(V512 a, V512 b) => new(Vector512.AndNot(a.V, b.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator +(V512 a, V512 b) => new(a.V + b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator -(V512 a, V512 b) => new(a.V - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator *(V512 a, V512 b) => new(a.V * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator /(V512 a, V512 b) => new(a.V / b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator -(V512 a) => new(-a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator &(V512 a, V512 b) => new(a.V & b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator |(V512 a, V512 b) => new(a.V | b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator ~(V512 a) => new(~a.V);
}
