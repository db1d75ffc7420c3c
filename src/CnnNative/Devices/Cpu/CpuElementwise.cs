using System.Runtime.Intrinsics;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// Element-wise kernels over one chunk [start, end) of a <see cref="RangeJob"/>: Vector256 bodies with scalar tails.
/// Each computes exactly what <see cref="Reference.ReferenceDevice"/> computes per element, in float.
/// </summary>
internal static unsafe class CpuElementwise
{
    private const int V = 8;

    public static void Fill(RangeJob* j, int start, int end, int chunk)
        => new Span<float>(j->P0 + start, end - start).Fill(j->F0);

    public static void Copy(RangeJob* j, int start, int end, int chunk)
        => new ReadOnlySpan<float>(j->P0 + start, end - start).CopyTo(new Span<float>(j->P1 + start, end - start));

    /// <summary>y += alpha·x (P0 = x, P1 = y, F0 = alpha); multiply then add, as the reference rounds.</summary>
    public static void Axpy(RangeJob* j, int start, int end, int chunk)
    {
        float* x = j->P0, y = j->P1; float alpha = j->F0;
        var va = Vector256.Create(alpha);
        int i = start;
        for (; i <= end - V; i += V) (Vector256.Load(y + i) + va * Vector256.Load(x + i)).Store(y + i);
        for (; i < end; i++) y[i] += alpha * x[i];
    }

    /// <summary>x *= alpha (P0 = x, F0 = alpha).</summary>
    public static void Scale(RangeJob* j, int start, int end, int chunk)
    {
        float* x = j->P0; float alpha = j->F0;
        var va = Vector256.Create(alpha);
        int i = start;
        for (; i <= end - V; i += V) (Vector256.Load(x + i) * va).Store(x + i);
        for (; i < end; i++) x[i] *= alpha;
    }

    /// <summary>y = a ⊙ b (P0 = a, P1 = b, P2 = y).</summary>
    public static void Multiply(RangeJob* j, int start, int end, int chunk)
    {
        float* a = j->P0, b = j->P1, y = j->P2;
        int i = start;
        for (; i <= end - V; i += V) (Vector256.Load(a + i) * Vector256.Load(b + i)).Store(y + i);
        for (; i < end; i++) y[i] = a[i] * b[i];
    }

    /// <summary>y = f(x) (P0 = x, P1 = y, I0 = activation).</summary>
    public static void ActivationForward(RangeJob* j, int start, int end, int chunk)
    {
        float* x = j->P0, y = j->P1;
        var f = (Activation)j->I0;
        var one = Vector256<float>.One;
        int i = start;
        switch (f)
        {
            case Activation.ReLU:
                for (; i <= end - V; i += V)
                {
                    var v = Vector256.Load(x + i);
                    Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, Vector256<float>.Zero).Store(y + i);
                }
                for (; i < end; i++) y[i] = x[i] > 0 ? x[i] : 0;
                break;
            case Activation.Sigmoid:
                for (; i <= end - V; i += V) (one / (one + Vector256.Exp(-Vector256.Load(x + i)))).Store(y + i);
                for (; i < end; i++) y[i] = 1f / (1f + MathF.Exp(-x[i]));
                break;
            case Activation.Tanh:
                // tanh(v) = sign(v)·(1 − e)/(1 + e) with e = exp(−2|v|): never overflows.
                var two = Vector256.Create(2f);
                for (; i <= end - V; i += V)
                {
                    var v = Vector256.Load(x + i);
                    var e = Vector256.Exp(-two * Vector256.Abs(v));
                    var t = (one - e) / (one + e);
                    Vector256.CopySign(t, v).Store(y + i);
                }
                for (; i < end; i++) y[i] = MathF.Tanh(x[i]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(f));
        }
    }

    /// <summary>dx = dy ⊙ f'(y) (P0 = y, P1 = dy, P2 = dx, I0 = activation).</summary>
    public static void ActivationBackward(RangeJob* j, int start, int end, int chunk)
    {
        float* y = j->P0, dy = j->P1, dx = j->P2;
        var f = (Activation)j->I0;
        var one = Vector256<float>.One;
        int i = start;
        switch (f)
        {
            case Activation.ReLU:
                for (; i <= end - V; i += V)
                {
                    var d = Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Load(y + i), Vector256<float>.Zero), one, Vector256<float>.Zero);
                    (Vector256.Load(dy + i) * d).Store(dx + i);
                }
                for (; i < end; i++) dx[i] = dy[i] * (y[i] > 0 ? 1f : 0f);
                break;
            case Activation.Sigmoid:
                for (; i <= end - V; i += V)
                {
                    var v = Vector256.Load(y + i);
                    (Vector256.Load(dy + i) * (v * (one - v))).Store(dx + i);
                }
                for (; i < end; i++) dx[i] = dy[i] * (y[i] * (1 - y[i]));
                break;
            case Activation.Tanh:
                for (; i <= end - V; i += V)
                {
                    var v = Vector256.Load(y + i);
                    (Vector256.Load(dy + i) * (one - v * v)).Store(dx + i);
                }
                for (; i < end; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(f));
        }
    }

    /// <summary>
    /// Inverted dropout (P0 = x, P1 = y, P2 = mask, F0 = rate, U0 = seed): the hash of
    /// <see cref="Reference.DropoutHash"/> computed eight lanes at a time, bit for bit.
    /// </summary>
    public static void Dropout(RangeJob* j, int start, int end, int chunk)
    {
        float* x = j->P0, y = j->P1, mask = j->P2;
        float rate = j->F0; uint seed = j->U0;
        float keep = 1.0f / (1.0f - rate);
        var vKeep = Vector256.Create(keep);
        var vRate = Vector256.Create(rate);
        var lane = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        uint offset = unchecked(seed * 0x85EBCA77u + 0x165667B1u);
        var scale = Vector256.Create(1.0f / 16777216.0f);
        int i = start;
        for (; i <= end - V; i += V)
        {
            var h = (Vector256.Create((uint)i) + lane) * 0x9E3779B1u + Vector256.Create(offset);
            h ^= h >>> 16;
            h *= 0x85EBCA6Bu;
            h ^= h >>> 13;
            h *= 0xC2B2AE35u;
            h ^= h >>> 16;
            var u = Vector256.ConvertToSingle((h >>> 8).AsInt32()) * scale;
            var m = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(u, vRate), vKeep, Vector256<float>.Zero);
            m.Store(mask + i);
            (Vector256.Load(x + i) * m).Store(y + i);
        }
        for (; i < end; i++)
        {
            mask[i] = Reference.DropoutHash.Mask(seed, i, rate);
            y[i] = x[i] * mask[i];
        }
    }

    /// <summary>Row-wise bias add over rows [start, end) (P0 = bias, P1 = y, I0 = cols).</summary>
    public static void AddBiasRows(RangeJob* j, int start, int end, int chunk)
    {
        float* bias = j->P0; int cols = j->I0;
        for (int r = start; r < end; r++)
        {
            float* y = j->P1 + (long)r * cols;
            int c = 0;
            for (; c <= cols - V; c += V) (Vector256.Load(y + c) + Vector256.Load(bias + c)).Store(y + c);
            for (; c < cols; c++) y[c] += bias[c];
        }
    }

    /// <summary>sums[j] += Σ_r x[r, j] for columns [c0, c1): accumulated in double, rows in order, like the reference.</summary>
    public static void SumRows(float* x, int rows, int cols, float* sums, int c0, int c1)
    {
        int c = c0;
        for (; c <= c1 - V; c += V)
        {
            Vector256<double> lo = default, hi = default;
            for (int r = 0; r < rows; r++)
            {
                var (l, h) = Vector256.Widen(Vector256.Load(x + (long)r * cols + c));
                lo += l; hi += h;
            }
            (Vector256.Load(sums + c) + Vector256.Narrow(lo, hi)).Store(sums + c);
        }
        for (; c < c1; c++)
        {
            double s = 0;
            for (int r = 0; r < rows; r++) s += x[(long)r * cols + c];
            sums[c] += (float)s;
        }
    }

    /// <summary>Σ of n floats in double, eight lanes at a time (fixed order: deterministic).</summary>
    public static double Sum(float* x, int n)
    {
        Vector256<double> lo = default, hi = default;
        int i = 0;
        for (; i <= n - V; i += V)
        {
            var (l, h) = Vector256.Widen(Vector256.Load(x + i));
            lo += l; hi += h;
        }
        double s = Vector256.Sum(lo + hi);
        for (; i < n; i++) s += x[i];
        return s;
    }
}
