namespace CnnNative.Devices.Reference;

// Gemm family: GEMM, bias rows, row sums.
internal sealed partial class ReferenceDevice
{
    protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
    {
        var av = Span(a);
        var bv = Span(b);
        var cv = Span(c);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float aip = transA ? av[p * m + i] : av[i * k + p];
                    float bpj = transB ? bv[j * k + p] : bv[p * n + j];
                    sum += (double)aip * bpj;
                }
                float old = beta == 0 ? 0 : beta * cv[i * n + j];
                cv[i * n + j] = (float)(alpha * sum) + old;
            }
    }

    protected override void AddBiasRowsCore(int rows, int cols, DeviceBuffer bias, DeviceBuffer y)
    {
        var bs = Span(bias);
        var ys = Span(y);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) ys[r * cols + j] += bs[j];
    }

    protected override void SumRowsCore(int rows, int cols, DeviceBuffer x, DeviceBuffer sums)
    {
        var xs = Span(x);
        var ss = Span(sums);
        for (int j = 0; j < cols; j++)
        {
            double s = 0;
            for (int r = 0; r < rows; r++) s += xs[r * cols + j];
            ss[j] += (float)s;
        }
    }
}
