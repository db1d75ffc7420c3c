using System.Runtime.Intrinsics;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The loss family: fused softmax cross-entropy (over rows), squared error (over elements), accuracy counting. The
/// two losses keep one double partial per chunk, added in chunk order by the device, so the sum is the same for
/// every thread count.
/// </summary>
internal static unsafe class CpuLoss
{
    /// <summary>Lanes per vector (a JIT-time constant).</summary>
    private static int Lanes => Vector256<float>.Count;

    /// <summary>Rows of the fused softmax cross-entropy; the chunk's loss goes to Partials[chunk].</summary>
    public struct SoftmaxCrossEntropy : IRangeKernel
    {
        public float* Logits, Targets, Gradient;
        public double* Partials;
        public int Cols;
        public float GradScale;

        public readonly void Run(int start, int end, int chunk)
        {
            int cols = Cols;
            double loss = 0;
            for (int r = start; r < end; r++)
            {
                long o = (long)r * cols;
                float* z = Logits + o, t = Targets + o, g = Gradient + o;
                float max = CpuSoftmax.RowMax(z, cols);
                double sum = CpuSoftmax.ExpShifted(z, g, cols, max);        // g holds exp(z − max) for now
                double logSum = Math.Log(sum) + max;
                float inv = (float)(1.0 / sum);
                for (int j = 0; j < cols; j++)
                {
                    loss -= t[j] * (z[j] - logSum);
                    g[j] = GradScale * (g[j] * inv - t[j]);
                }
            }
            Partials[chunk] = loss;
        }
    }

    /// <summary>gradient = gradScale·2(p − t); Partials[chunk] = Σ (p − t)² over the chunk.</summary>
    public struct SquaredError : IRangeKernel
    {
        public float* Prediction, Target, Gradient;
        public double* Partials;
        public float GradScale;

        public readonly void Run(int start, int end, int chunk)
        {
            float* p = Prediction, t = Target, g = Gradient;
            float scale2 = GradScale * 2;
            var vs = Vector256.Create(scale2);
            Vector256<double> lo = default, hi = default;
            int i = start;
            for (; i <= end - Lanes; i += Lanes)
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
            Partials[chunk] = sum;
        }
    }

    /// <summary>How many rows have argmax(scores) == argmax(targets) (first maximum wins ties).</summary>
    public static int CountCorrect(float* scores, float* targets, int rows, int cols)
    {
        int correct = 0;
        for (int r = 0; r < rows; r++)
            if (ArgMax(scores + (long)r * cols, cols) == ArgMax(targets + (long)r * cols, cols)) correct++;
        return correct;
    }

    private static int ArgMax(float* row, int cols)
    {
        int best = 0;
        for (int j = 1; j < cols; j++) if (row[j] > row[best]) best = j;
        return best;
    }
}
