using System.Runtime.Intrinsics;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// Row-wise softmax, the fused softmax-cross-entropy, squared error and accuracy counting. Rows are independent,
/// so a <see cref="RangeJob"/> over rows runs them in parallel; losses keep one double partial per chunk of rows.
/// Exponentials are Vector256.Exp (float); row sums are accumulated in double like the reference.
/// </summary>
internal static unsafe class CpuSoftmax
{
    private const int V = 8;

    private static float RowMax(float* row, int cols)
    {
        float max = float.NegativeInfinity;
        int j = 0;
        if (cols >= V)
        {
            var vm = Vector256.Create(float.NegativeInfinity);
            for (; j <= cols - V; j += V) vm = Vector256.Max(vm, Vector256.Load(row + j));
            for (int l = 0; l < V; l++) max = Math.Max(max, vm.GetElement(l));
        }
        for (; j < cols; j++) max = Math.Max(max, row[j]);
        return max;
    }

    /// <summary>e[j] = exp(x[j] − max); returns Σ e in double.</summary>
    private static double ExpShifted(float* x, float* e, int cols, float max)
    {
        var vmax = Vector256.Create(max);
        Vector256<double> lo = default, hi = default;
        int j = 0;
        for (; j <= cols - V; j += V)
        {
            var v = Vector256.Exp(Vector256.Load(x + j) - vmax);
            v.Store(e + j);
            var (l, h) = Vector256.Widen(v);
            lo += l; hi += h;
        }
        double sum = Vector256.Sum(lo + hi);
        for (; j < cols; j++)
        {
            e[j] = MathF.Exp(x[j] - max);
            sum += e[j];
        }
        return sum;
    }

    /// <summary>Rows [start, end) of y = softmax(x) (P0 = x, P1 = y, I0 = cols).</summary>
    public static void Forward(RangeJob* job, int start, int end, int chunk)
    {
        int cols = job->I0;
        for (int r = start; r < end; r++)
        {
            float* x = job->P0 + (long)r * cols, y = job->P1 + (long)r * cols;
            double sum = ExpShifted(x, y, cols, RowMax(x, cols));
            float inv = (float)(1.0 / sum);
            int j = 0;
            var vinv = Vector256.Create(inv);
            for (; j <= cols - V; j += V) (Vector256.Load(y + j) * vinv).Store(y + j);
            for (; j < cols; j++) y[j] *= inv;
        }
    }

    /// <summary>Rows [start, end) of dx = y ⊙ (dy − Σ dy·y) (P0 = y, P1 = dy, P2 = dx, I0 = cols).</summary>
    public static void Backward(RangeJob* job, int start, int end, int chunk)
    {
        int cols = job->I0;
        for (int r = start; r < end; r++)
        {
            long o = (long)r * cols;
            float* y = job->P0 + o, dy = job->P1 + o, dx = job->P2 + o;
            Vector256<double> lo = default, hi = default;
            int j = 0;
            for (; j <= cols - V; j += V)
            {
                var (l, h) = Vector256.Widen(Vector256.Load(dy + j) * Vector256.Load(y + j));
                lo += l; hi += h;
            }
            double dotD = Vector256.Sum(lo + hi);
            for (; j < cols; j++) dotD += (double)dy[j] * y[j];
            float dot = (float)dotD;
            var vdot = Vector256.Create(dot);
            j = 0;
            for (; j <= cols - V; j += V) (Vector256.Load(y + j) * (Vector256.Load(dy + j) - vdot)).Store(dx + j);
            for (; j < cols; j++) dx[j] = y[j] * (dy[j] - dot);
        }
    }

    /// <summary>
    /// Rows [start, end) of the fused softmax-cross-entropy (P0 = logits, P1 = targets, P2 = gradient, I0 = cols,
    /// F0 = gradScale); the chunk's loss goes to Partials[chunk].
    /// </summary>
    public static void CrossEntropy(RangeJob* job, int start, int end, int chunk)
    {
        int cols = job->I0;
        float scale = job->F0;
        double loss = 0;
        for (int r = start; r < end; r++)
        {
            long o = (long)r * cols;
            float* z = job->P0 + o, t = job->P1 + o, g = job->P2 + o;
            float max = RowMax(z, cols);
            double sum = ExpShifted(z, g, cols, max);        // g holds exp(z − max) for now
            double logSum = Math.Log(sum) + max;
            float inv = (float)(1.0 / sum);
            for (int j = 0; j < cols; j++)
            {
                loss -= t[j] * (z[j] - logSum);
                g[j] = scale * (g[j] * inv - t[j]);
            }
        }
        job->Partials[chunk] = loss;
    }

    /// <summary>Elements [start, end) of gradient = gradScale·2(p − t); Partials[chunk] = Σ (p − t)² (P0 = p, P1 = t, P2 = gradient, F0 = gradScale).</summary>
    public static void SquaredError(RangeJob* job, int start, int end, int chunk)
    {
        float* p = job->P0, t = job->P1, g = job->P2;
        float scale2 = job->F0 * 2;
        var vs = Vector256.Create(scale2);
        Vector256<double> lo = default, hi = default;
        int i = start;
        for (; i <= end - V; i += V)
        {
            var d = Vector256.Load(p + i) - Vector256.Load(t + i);
            (vs * d).Store(g + i);
            var (l, h) = Vector256.Widen(d);
            lo += l * l; hi += h * h;
        }
        double sum = Vector256.Sum(lo + hi);
        for (; i < end; i++)
        {
            float d = p[i] - t[i];
            sum += (double)d * d;
            g[i] = scale2 * d;
        }
        job->Partials[chunk] = sum;
    }

    /// <summary>Index of the first maximum of a row.</summary>
    public static int ArgMax(float* row, int cols)
    {
        int best = 0;
        for (int j = 1; j < cols; j++) if (row[j] > row[best]) best = j;
        return best;
    }
}
