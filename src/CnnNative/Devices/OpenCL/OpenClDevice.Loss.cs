namespace CnnNative.Devices.OpenCL;

// Loss family (Kernels/loss.cl): fused softmax cross-entropy, squared error, count correct. Each reduces on the
// device and reads back one float.
internal sealed partial class OpenClDevice
{
    private struct SoftmaxCrossEntropyArgs : IKernelArgs
    {
        public static string Kernel => "softmax_cross_entropy";
        public int Rows, Cols; public ClMem Z, T, Grad;
        public float GradScale;
        public ClMem RowLoss;
    }

    private struct SquaredErrorArgs : IKernelArgs
    {
        public static string Kernel => "squared_error";
        public int N; public ClMem Pred, Target, Grad;
        public float GradScale;
        public ClMem Partial;
    }

    private struct CountCorrectArgs : IKernelArgs
    {
        public static string Kernel => "count_correct";
        public int Rows, Cols; public ClMem Scores, Targets, Hit;
    }

    private struct ReduceSumArgs : IKernelArgs { public static string Kernel => "reduce_sum"; public int N; public ClMem X, Out; }

    protected override float SoftmaxCrossEntropyCore(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale)
    {
        var partial = Workspace(WsPartials, rows);
        EnqueueItems(new SoftmaxCrossEntropyArgs
        {
            Rows = rows, Cols = cols, Z = Mem(logits), T = Mem(targets), Grad = Mem(gradient), GradScale = gradScale, RowLoss = partial,
        }, rows);
        return SumOnDevice(partial, rows);
    }

    protected override float SquaredErrorCore(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale)
    {
        // At most 1024 work-items, each summing a strided slice (those past the end write 0), then one more pass over
        // their partials. A fixed group size: pocl compiles once per work-group shape.
        int group = Math.Max(1, Math.Min(64, MaxGroup<SquaredErrorArgs>()));
        int items = RoundUp(Math.Min(length, 1024), group);
        var partial = Workspace(WsPartials, items);
        Enqueue(new SquaredErrorArgs
        {
            N = length, Pred = Mem(prediction), Target = Mem(target), Grad = Mem(gradient), GradScale = gradScale, Partial = partial,
        }, items, 1, 1, group, 1, 1);
        return SumOnDevice(partial, items);
    }

    protected override int CountCorrectCore(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets)
    {
        var hits = Workspace(WsPartials, rows);
        EnqueueItems(new CountCorrectArgs { Rows = rows, Cols = cols, Scores = Mem(scores), Targets = Mem(targets), Hit = hits }, rows);
        return (int)SumOnDevice(hits, rows);   // exact: integers below 2^24
    }

    /// <summary>Σ of n floats of <paramref name="values"/>, added up on the device; blocks for the one-float result.</summary>
    private float SumOnDevice(ClMem values, int n)
    {
        var result = Workspace(WsScalar, 1);
        Enqueue(new ReduceSumArgs { N = n, X = values, Out = result }, 1, 1, 1, 1, 1, 1);
        return ReadScalar(result);
    }
}
