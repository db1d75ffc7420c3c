using System.Runtime.Intrinsics;

namespace CnnNative.Devices.Cpu;

// The gemm family's row ops: a dense layer's bias add and its bias gradient (column sums).
internal static unsafe partial class CpuGemm<TVec>
{
    /// <summary>y[r, j] += bias[j] for rows × cols, then ReLU (as the activation op: NaN gives 0) when <paramref name="relu"/>.</summary>
    public static void AddBiasRows(float* bias, float* y, int rows, int cols, bool relu)
    {
        int lanes = TVec.Count;
        for (int r = 0; r < rows; r++)
        {
            float* row = y + (long)r * cols;
            int c = 0;
            if (relu)
            {
                for (; c <= cols - lanes; c += lanes) TVec.Store(TVec.Relu(TVec.Load(row + c) + TVec.Load(bias + c)), row + c);
                for (; c < cols; c++) { float v = row[c] + bias[c]; row[c] = v > 0 ? v : 0f; }
                continue;
            }
            for (; c <= cols - lanes; c += lanes) TVec.Store(TVec.Load(row + c) + TVec.Load(bias + c), row + c);
            for (; c < cols; c++) row[c] += bias[c];
        }
    }

    /// <summary>sums[j] += Σ_r x[r, j]: accumulated in double, rows in order, like the reference.</summary>
    public static void SumRows(float* x, int rows, int cols, float* sums)
    {
        int lanes = Vector256<float>.Count, c = 0;
        for (; c <= cols - lanes; c += lanes)
        {
            Vector256<double> lo = default, hi = default;
            for (int r = 0; r < rows; r++)
            {
                var (l, h) = Vector256.Widen(Vector256.Load(x + (long)r * cols + c));
                lo += l; hi += h;
            }
            (Vector256.Load(sums + c) + Vector256.Narrow(lo, hi)).Store(sums + c);
        }
        for (; c < cols; c++)
        {
            double s = 0;
            for (int r = 0; r < rows; r++) s += x[(long)r * cols + c];
            sums[c] += (float)s;
        }
    }
}
