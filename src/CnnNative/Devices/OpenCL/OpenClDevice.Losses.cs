namespace CnnNative.Devices.OpenCL;

// Softmax and the ops that return a number: each reduces on the device and reads back one float.
public sealed partial class OpenClDevice
{
    public void SoftmaxForward(int rows, int cols, DeviceBuffer x, DeviceBuffer y)
    {
        Checks.NonNegative(rows, nameof(SoftmaxForward)); Checks.NonNegative(cols, nameof(SoftmaxForward));
        nint xm = Use(x, (long)rows * cols, nameof(SoftmaxForward)), ym = Use(y, (long)rows * cols, nameof(SoftmaxForward));
        if (cols == 0) return;
        lock (_gate)
        {
            var k = new Launch(this, "softmax_forward");
            k.Int(rows); k.Int(cols); k.Mem(xm); k.Mem(ym);
            k.Run1(rows);
        }
    }

    public void SoftmaxBackward(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        Checks.NonNegative(rows, nameof(SoftmaxBackward)); Checks.NonNegative(cols, nameof(SoftmaxBackward));
        long n = (long)rows * cols;
        nint ym = Use(y, n, nameof(SoftmaxBackward)), dym = Use(dy, n, nameof(SoftmaxBackward)), dxm = Use(dx, n, nameof(SoftmaxBackward));
        lock (_gate)
        {
            var k = new Launch(this, "softmax_backward");
            k.Int(rows); k.Int(cols); k.Mem(ym); k.Mem(dym); k.Mem(dxm);
            k.Run1(rows);
        }
    }

    public float SoftmaxCrossEntropy(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale)
    {
        Checks.NonNegative(rows, nameof(SoftmaxCrossEntropy)); Checks.NonNegative(cols, nameof(SoftmaxCrossEntropy));
        long n = (long)rows * cols;
        nint zm = Use(logits, n, nameof(SoftmaxCrossEntropy)), tm = Use(targets, n, nameof(SoftmaxCrossEntropy)),
             gm = Use(gradient, n, nameof(SoftmaxCrossEntropy));
        if (rows == 0 || cols == 0) return 0;
        lock (_gate)
        {
            nint partial = Workspace(WsPartials, rows);
            var k = new Launch(this, "softmax_cross_entropy");
            k.Int(rows); k.Int(cols); k.Mem(zm); k.Mem(tm); k.Mem(gm); k.Float(gradScale); k.Mem(partial);
            k.Run1(rows);
            return SumOnDevice(partial, rows);
        }
    }

    public float SquaredError(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale)
    {
        Checks.NonNegative(length, nameof(SquaredError));
        nint pm = Use(prediction, length, nameof(SquaredError)), tm = Use(target, length, nameof(SquaredError)),
             gm = Use(gradient, length, nameof(SquaredError));
        if (length == 0) return 0;
        lock (_gate)
        {
            // At most 1024 work-items, each summing a strided slice (those past the end write 0), then one more
            // pass over their partials. A fixed group size: pocl compiles once per work-group shape.
            var k = new Launch(this, "squared_error");
            int group = Math.Max(1, Math.Min(64, k.MaxGroup));
            int items = RoundUp(Math.Min(length, 1024), group);
            nint partial = Workspace(WsPartials, items);
            k.Int(length); k.Mem(pm); k.Mem(tm); k.Mem(gm); k.Float(gradScale); k.Mem(partial);
            k.Run(items, 1, 1, group, 1, 1);
            return SumOnDevice(partial, items);
        }
    }

    public int CountCorrect(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets)
    {
        Checks.NonNegative(rows, nameof(CountCorrect)); Checks.NonNegative(cols, nameof(CountCorrect));
        long n = (long)rows * cols;
        nint sm = Use(scores, n, nameof(CountCorrect)), tm = Use(targets, n, nameof(CountCorrect));
        if (rows == 0 || cols == 0) return 0;
        lock (_gate)
        {
            nint hits = Workspace(WsPartials, rows);
            var k = new Launch(this, "count_correct");
            k.Int(rows); k.Int(cols); k.Mem(sm); k.Mem(tm); k.Mem(hits);
            k.Run1(rows);
            return (int)SumOnDevice(hits, rows);   // exact: integers below 2^24
        }
    }

    /// <summary>Σ of n floats of <paramref name="mem"/>, added up on the device; blocks for the one-float result.</summary>
    private float SumOnDevice(nint mem, int n)
    {
        nint result = Workspace(WsScalar, 1);
        var k = new Launch(this, "reduce_sum");
        k.Int(n); k.Mem(mem); k.Mem(result);
        k.Run(1, 1, 1, 1, 1, 1);
        return ReadScalar(result);
    }
}
