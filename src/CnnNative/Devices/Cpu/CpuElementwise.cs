using System.Runtime.Intrinsics;
using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The elementwise family as <see cref="IRangeKernel"/> structs (fill, copy, axpy, scale, multiply, dropout): vector
/// bodies with scalar tails, each computing per element exactly what <see cref="Reference.ReferenceDevice"/> computes
/// in float. Axpy, scale and multiply are written over the device's vector width (TVec
/// of <see cref="IVec{TSelf}"/>): per element the same operations, so every width gives the same bits. Dropout's
/// hash and the double-precision sum stay on Vector256 (bit-exact integer lanes; memory-bound either way).
/// </summary>
internal static unsafe class CpuElementwise
{
    /// <summary>Lanes per vector (a JIT-time constant).</summary>
    private static int Lanes => Vector256<float>.Count;

    /// <summary>x = value.</summary>
    public struct Fill : IRangeKernel
    {
        public float* X;
        public float Value;

        public readonly void Run(int start, int end, int chunk) => new Span<float>(X + start, end - start).Fill(Value);
    }

    /// <summary>destination = source.</summary>
    public struct Copy : IRangeKernel
    {
        public float* Source, Destination;

        public readonly void Run(int start, int end, int chunk)
            => new ReadOnlySpan<float>(Source + start, end - start).CopyTo(new Span<float>(Destination + start, end - start));
    }

    /// <summary>y += alpha·x; multiply then add, as the reference rounds.</summary>
    public struct Axpy<TVec> : IRangeKernel where TVec : unmanaged, IVec<TVec>
    {
        public float* X, Y;
        public float Alpha;

        public readonly void Run(int start, int end, int chunk)
        {
            var va = TVec.Broadcast(Alpha);
            int i = start;
            for (; i <= end - TVec.Count; i += TVec.Count)
                TVec.Store(TVec.Load(Y + i) + va * TVec.Load(X + i), Y + i);
            for (; i < end; i++) Y[i] += Alpha * X[i];
        }
    }

    /// <summary>x *= alpha.</summary>
    public struct Scale<TVec> : IRangeKernel where TVec : unmanaged, IVec<TVec>
    {
        public float* X;
        public float Alpha;

        public readonly void Run(int start, int end, int chunk)
        {
            var va = TVec.Broadcast(Alpha);
            int i = start;
            for (; i <= end - TVec.Count; i += TVec.Count) TVec.Store(TVec.Load(X + i) * va, X + i);
            for (; i < end; i++) X[i] *= Alpha;
        }
    }

    /// <summary>
    /// target[i] = (keep ? target[i] : 0) + Σ_s weights[s] · parts[s][offset + i], for i &lt; n: each product rounded,
    /// then added in shard order (a data-parallel step's gradients; memory-bound, so one width serves).
    /// </summary>
    public static void WeightedSum(float* target, int n, bool keep, float** parts, int offset, float* weights, int shards)
    {
        int i = 0;
        for (; i <= n - Lanes; i += Lanes)
        {
            var acc = keep ? Vector256.Load(target + i) : Vector256<float>.Zero;
            for (int s = 0; s < shards; s++) acc += Vector256.Create(weights[s]) * Vector256.Load(parts[s] + offset + i);
            acc.Store(target + i);
        }
        for (; i < n; i++)
        {
            float acc = keep ? target[i] : 0f;
            for (int s = 0; s < shards; s++) acc += weights[s] * parts[s][offset + i];
            target[i] = acc;
        }
    }

    /// <summary>y = a ⊙ b.</summary>
    public struct Multiply<TVec> : IRangeKernel where TVec : unmanaged, IVec<TVec>
    {
        public float* A, B, Y;

        public readonly void Run(int start, int end, int chunk)
        {
            int i = start;
            for (; i <= end - TVec.Count; i += TVec.Count)
                TVec.Store(TVec.Load(A + i) * TVec.Load(B + i), Y + i);
            for (; i < end; i++) Y[i] = A[i] * B[i];
        }
    }

    /// <summary>Inverted dropout: the hash of <see cref="Reference.DropoutHash"/> computed a vector of lanes at a time, bit for bit.</summary>
    public struct Dropout : IRangeKernel
    {
        public float* X, Y, Mask;
        public float Rate;
        public uint Seed;

        public readonly void Run(int start, int end, int chunk)
        {
            float keep = 1.0f / (1.0f - Rate);
            var vKeep = Vector256.Create(keep);
            var vRate = Vector256.Create(Rate);
            var lane = Vector256<uint>.Indices;
            uint offset = unchecked(Seed * 0x85EBCA77u + 0x165667B1u);
            var scale = Vector256.Create(1.0f / 16777216.0f);
            int i = start;
            for (; i <= end - Lanes; i += Lanes)
            {
                var h = (Vector256.Create((uint)i) + lane) * 0x9E3779B1u + Vector256.Create(offset);
                h ^= h >>> 16;
                h *= 0x85EBCA6Bu;
                h ^= h >>> 13;
                h *= 0xC2B2AE35u;
                h ^= h >>> 16;
                var u = Vector256.ConvertToSingle((h >>> 8).AsInt32()) * scale;
                var m = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(u, vRate), vKeep, Vector256<float>.Zero);
                m.Store(Mask + i);
                (Vector256.Load(X + i) * m).Store(Y + i);
            }
            for (; i < end; i++)
            {
                Mask[i] = Reference.DropoutHash.Mask(Seed, i, Rate);
                Y[i] = X[i] * Mask[i];
            }
        }
    }

    /// <summary>Σ of n floats in double, a vector of lanes at a time (fixed order: deterministic).</summary>
    public static double Sum(float* x, int n)
    {
        Vector256<double> lo = default, hi = default;
        int i = 0;
        for (; i <= n - Lanes; i += Lanes)
        {
            var (l, h) = Vector256.Widen(Vector256.Load(x + i));
            lo += l; hi += h;
        }
        double s = Vector256.Sum(lo + hi);
        for (; i < n; i++) s += x[i];
        return s;
    }
}
