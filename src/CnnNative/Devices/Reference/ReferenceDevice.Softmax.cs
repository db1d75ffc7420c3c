namespace CnnNative.Devices.Reference;

// Softmax family: row-wise softmax, forward and backward.
internal sealed partial class ReferenceDevice
{
    protected override void SoftmaxForwardCore(int rows, int cols, DeviceBuffer x, DeviceBuffer y)
    {
        var xs = Span(x);
        var ys = Span(y);
        for (int r = 0; r < rows; r++)
        {
            var row = xs.Slice(r * cols, cols);
            float max = float.NegativeInfinity;
            foreach (float v in row) max = Math.Max(max, v);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.Exp(row[j] - max);
            for (int j = 0; j < cols; j++) ys[r * cols + j] = (float)(Math.Exp(row[j] - max) / sum);
        }
    }

    protected override void SoftmaxBackwardCore(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        var ys = Span(y);
        var dys = Span(dy);
        var dxs = Span(dx);
        for (int r = 0; r < rows; r++)
        {
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += (double)dys[r * cols + j] * ys[r * cols + j];
            for (int j = 0; j < cols; j++) dxs[r * cols + j] = (float)(ys[r * cols + j] * (dys[r * cols + j] - dot));
        }
    }
}
