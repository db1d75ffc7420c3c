using System.Runtime.Intrinsics;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The softmax family: row-wise softmax forward and backward as <see cref="IRangeKernel"/> structs over rows (rows are
/// independent, so chunks of rows run in parallel). Exponentials are Vector256.Exp (float); row sums are accumulated
/// in double like the reference. The fused softmax cross-entropy is in the loss family (<see cref="CpuLoss"/>).
/// </summary>
internal static unsafe class CpuSoftmax
{
    /// <summary>Lanes per vector (a JIT-time constant).</summary>
    private static int Lanes => Vector256<float>.Count;

    /// <summary>The largest element of a row (NaN-propagating as Math.Max).</summary>
    public static float RowMax(float* row, int cols)
    {
        float max = float.NegativeInfinity;
        int j = 0;
        if (cols >= Lanes)
        {
            var vm = Vector256.Create(float.NegativeInfinity);
            for (; j <= cols - Lanes; j += Lanes) vm = Vector256.Max(vm, Vector256.Load(row + j));
            for (int l = 0; l < Lanes; l++) max = Math.Max(max, vm.GetElement(l));
        }
        for (; j < cols; j++) max = Math.Max(max, row[j]);
        return max;
    }

    /// <summary>e[j] = exp(x[j] − max); returns Σ e in double.</summary>
    public static double ExpShifted(float* x, float* e, int cols, float max)
    {
        var vmax = Vector256.Create(max);
        Vector256<double> lo = default, hi = default;
        int j = 0;
        for (; j <= cols - Lanes; j += Lanes)
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

    /// <summary>Rows of y = softmax(x).</summary>
    public struct Forward : IRangeKernel
    {
        public float* X, Y;
        public int Cols;

        public readonly void Run(int start, int end, int chunk)
        {
            int cols = Cols;
            for (int r = start; r < end; r++)
            {
                float* x = X + (long)r * cols, y = Y + (long)r * cols;
                double sum = ExpShifted(x, y, cols, RowMax(x, cols));
                float inv = (float)(1.0 / sum);
                int j = 0;
                var vinv = Vector256.Create(inv);
                for (; j <= cols - Lanes; j += Lanes) (Vector256.Load(y + j) * vinv).Store(y + j);
                for (; j < cols; j++) y[j] *= inv;
            }
        }
    }

    /// <summary>Rows of dx = y ⊙ (dy − Σ dy·y).</summary>
    public struct Backward : IRangeKernel
    {
        public float* Y, Dy, Dx;
        public int Cols;

        public readonly void Run(int start, int end, int chunk)
        {
            int cols = Cols;
            for (int r = start; r < end; r++)
            {
                long o = (long)r * cols;
                float* y = Y + o, dy = Dy + o, dx = Dx + o;
                Vector256<double> lo = default, hi = default;
                int j = 0;
                for (; j <= cols - Lanes; j += Lanes)
                {
                    var (l, h) = Vector256.Widen(Vector256.Load(dy + j) * Vector256.Load(y + j));
                    lo += l; hi += h;
                }
                double dotD = Vector256.Sum(lo + hi);
                for (; j < cols; j++) dotD += (double)dy[j] * y[j];
                float dot = (float)dotD;
                var vdot = Vector256.Create(dot);
                j = 0;
                for (; j <= cols - Lanes; j += Lanes) (Vector256.Load(y + j) * (Vector256.Load(dy + j) - vdot)).Store(dx + j);
                for (; j < cols; j++) dx[j] = y[j] * (dy[j] - dot);
            }
        }
    }
}
