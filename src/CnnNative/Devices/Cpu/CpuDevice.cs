using CnnNative.Devices.Cpu;

namespace CnnNative.Devices;

/// <summary>
/// The C# compute device: AVX2+FMA kernels through System.Runtime.Intrinsics (a portable Vector256 path where
/// the processor lacks them), a BLIS-style packed GEMM with a 6×16 register-blocked micro-kernel, convolution as
/// im2col + GEMM with the bias fused into the GEMM's store, and a persistent pool of <see cref="Threads"/> workers.
/// </summary>
/// <remarks>
/// <para>One caller thread at a time: the workspaces (im2col columns, packed panels, partial sums) belong to
/// the device and are reused by every op, so two threads calling one device concurrently would share them.
/// Use one device per caller thread.</para>
/// <para>Workspaces grow to the largest op seen and are then reused: no allocation per op in steady state.
/// Dispose frees them and stops the workers.</para>
/// <para>Results are bitwise reproducible: every reduction adds in an order fixed by the sizes, never by
/// scheduling, and (for up to four threads) not by the thread count either.</para>
/// </remarks>
public sealed unsafe class CpuDevice : HostDevice, IDevice
{
    private readonly WorkerPool _pool;
    private readonly Workspace _shared = new();
    private readonly Workspace _perWorker = new();
    private readonly Workspace _partials = new();
    private readonly CpuConvolution _conv;

    /// <param name="threads">Worker threads, the caller included; 0 means <see cref="Environment.ProcessorCount"/>.</param>
    public CpuDevice(int threads = 0) : base("cpu")
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "CpuDevice: threads must be 0 (all cores) or positive.");
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        _pool = new WorkerPool(Threads);
        _conv = new CpuConvolution(_pool, _shared, _perWorker);
        string isa = CpuProcessor.Isa();
        Info = new DeviceInfo("cpu", "cpu", $"{CpuProcessor.Model()} ({isa})", Threads, 0,
                              new Dictionary<string, string> { ["isa"] = isa, ["threads"] = Threads.ToString() });
    }

    /// <summary>Threads the device computes with.</summary>
    public int Threads { get; }

    public DeviceInfo Info { get; }

    private float* Ptr(DeviceBuffer buffer, long needed, string op, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(buffer))] string name = "")
    {
        ThrowIfDisposed();
        Host(buffer, needed, op, name);
        return ((HostBuffer)buffer).Pointer;
    }

    private void Elementwise(ref RangeJob job) => RangeJob.Run(_pool, ref job);

    private static void Length(int length, string op) => Checks.NonNegative(length, op, nameof(length));

    // ---------------------------------------------------------------- element-wise

    public void Fill(DeviceBuffer x, int length, float value)
    {
        Length(length, nameof(Fill));
        var job = new RangeJob { Kernel = &CpuElementwise.Fill, Length = length, P0 = Ptr(x, length, nameof(Fill)), F0 = value };
        Elementwise(ref job);
    }

    public void Copy(DeviceBuffer source, DeviceBuffer destination, int length)
    {
        Length(length, nameof(Copy));
        var job = new RangeJob
        {
            Kernel = &CpuElementwise.Copy, Length = length,
            P0 = Ptr(source, length, nameof(Copy)), P1 = Ptr(destination, length, nameof(Copy)),
        };
        Elementwise(ref job);
    }

    public void Axpy(int length, float alpha, DeviceBuffer x, DeviceBuffer y)
    {
        Length(length, nameof(Axpy));
        var job = new RangeJob { Kernel = &CpuElementwise.Axpy, Length = length, P0 = Ptr(x, length, nameof(Axpy)), P1 = Ptr(y, length, nameof(Axpy)), F0 = alpha };
        Elementwise(ref job);
    }

    public void Scale(int length, float alpha, DeviceBuffer x)
    {
        Length(length, nameof(Scale));
        var job = new RangeJob { Kernel = &CpuElementwise.Scale, Length = length, P0 = Ptr(x, length, nameof(Scale)), F0 = alpha };
        Elementwise(ref job);
    }

    public void Multiply(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y)
    {
        Length(length, nameof(Multiply));
        var job = new RangeJob
        {
            Kernel = &CpuElementwise.Multiply, Length = length,
            P0 = Ptr(a, length, nameof(Multiply)), P1 = Ptr(b, length, nameof(Multiply)), P2 = Ptr(y, length, nameof(Multiply)),
        };
        Elementwise(ref job);
    }

    private static void CheckActivation(Activation f)
    {
        if (!Enum.IsDefined(f)) throw new ArgumentOutOfRangeException(nameof(f), f, $"Unknown activation {f}.");
    }

    public void ActivationForward(Activation f, int length, DeviceBuffer x, DeviceBuffer y)
    {
        Length(length, nameof(ActivationForward));
        CheckActivation(f);
        var job = new RangeJob
        {
            Kernel = &CpuElementwise.ActivationForward, Length = length, I0 = (int)f,
            P0 = Ptr(x, length, nameof(ActivationForward)), P1 = Ptr(y, length, nameof(ActivationForward)),
        };
        Elementwise(ref job);
    }

    public void ActivationBackward(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        Length(length, nameof(ActivationBackward));
        CheckActivation(f);
        var job = new RangeJob
        {
            Kernel = &CpuElementwise.ActivationBackward, Length = length, I0 = (int)f,
            P0 = Ptr(y, length, nameof(ActivationBackward)), P1 = Ptr(dy, length, nameof(ActivationBackward)),
            P2 = Ptr(dx, length, nameof(ActivationBackward)),
        };
        Elementwise(ref job);
    }

    public void DropoutForward(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentOutOfRangeException(nameof(rate), $"DropoutForward: rate must be in [0, 1), got {rate}.");
        Length(length, nameof(DropoutForward));
        var job = new RangeJob
        {
            Kernel = &CpuElementwise.Dropout, Length = length, F0 = rate, U0 = seed,
            P0 = Ptr(x, length, nameof(DropoutForward)), P1 = Ptr(y, length, nameof(DropoutForward)),
            P2 = Ptr(mask, length, nameof(DropoutForward)),
        };
        Elementwise(ref job);
    }

    // ---------------------------------------------------------------- dense

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
    {
        Checks.NonNegative(m, nameof(Gemm)); Checks.NonNegative(n, nameof(Gemm)); Checks.NonNegative(k, nameof(Gemm));
        float* ap = Ptr(a, (long)m * k, nameof(Gemm));
        float* bp = Ptr(b, (long)k * n, nameof(Gemm));
        float* cp = Ptr(c, (long)m * n, nameof(Gemm));
        var g = GemmProblem.Create(transA, transB, m, n, k, alpha, ap, bp, beta, cp);
        Cpu.Gemm.Run(_pool, _shared, ref g);
    }

    public void AddBiasRows(int rows, int cols, DeviceBuffer bias, DeviceBuffer y)
    {
        Checks.NonNegative(rows, nameof(AddBiasRows)); Checks.NonNegative(cols, nameof(AddBiasRows));
        var job = new RangeJob { I0 = cols, P0 = Ptr(bias, cols, nameof(AddBiasRows)), P1 = Ptr(y, (long)rows * cols, nameof(AddBiasRows)) };
        CpuElementwise.AddBiasRows(&job, 0, rows, 0);
    }

    public void SumRows(int rows, int cols, DeviceBuffer x, DeviceBuffer sums)
    {
        Checks.NonNegative(rows, nameof(SumRows)); Checks.NonNegative(cols, nameof(SumRows));
        CpuElementwise.SumRows(Ptr(x, (long)rows * cols, nameof(SumRows)), rows, cols, Ptr(sums, cols, nameof(SumRows)), 0, cols);
    }

    // ---------------------------------------------------------------- convolution

    public void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y)
    {
        float* xp = Ptr(x, g.InputLength, nameof(Conv2dForward));
        float* wp = Ptr(w, g.FilterLength, nameof(Conv2dForward));
        float* bp = bias is null ? null : Ptr(bias, g.K, nameof(Conv2dForward));
        float* yp = Ptr(y, g.OutputLength, nameof(Conv2dForward));
        _conv.Forward(g, xp, wp, bp, yp);
    }

    public void Conv2dBackwardData(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        float* dyp = Ptr(dy, g.OutputLength, nameof(Conv2dBackwardData));
        float* wp = Ptr(w, g.FilterLength, nameof(Conv2dBackwardData));
        float* dxp = Ptr(dx, g.InputLength, nameof(Conv2dBackwardData));
        _conv.BackwardData(g, dyp, wp, dxp);
    }

    public void Conv2dBackwardFilter(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        float* xp = Ptr(x, g.InputLength, nameof(Conv2dBackwardFilter));
        float* dyp = Ptr(dy, g.OutputLength, nameof(Conv2dBackwardFilter));
        float* dwp = Ptr(dw, g.FilterLength, nameof(Conv2dBackwardFilter));
        float* dbp = db is null ? null : Ptr(db, g.K, nameof(Conv2dBackwardFilter));
        _conv.BackwardFilter(g, xp, dyp, dwp, dbp);
    }

    // ---------------------------------------------------------------- pooling

    private void Pool(in Pool2dGeometry g, PoolMode mode, float* x, float* dy, float* y, bool forward)
    {
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, $"Unknown pooling mode {mode}.");
        // About 64 Ki input elements per task.
        int planes = Math.Max(1, (1 << 16) / (g.H * g.W));
        var job = new CpuPooling.Job { G = g, Mode = mode, X = x, Dy = dy, Y = y, PlanesPerTask = planes };
        if (forward) _pool.For(CpuPooling.Tasks(job), &CpuPooling.ForwardTask, &job);
        else _pool.For(CpuPooling.Tasks(job), &CpuPooling.BackwardTask, &job);
    }

    public void Pool2dForward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y)
        => Pool(g, mode, Ptr(x, g.InputLength, nameof(Pool2dForward)), null, Ptr(y, g.OutputLength, nameof(Pool2dForward)), forward: true);

    public void Pool2dBackward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
        => Pool(g, mode, Ptr(x, g.InputLength, nameof(Pool2dBackward)), Ptr(dy, g.OutputLength, nameof(Pool2dBackward)),
                Ptr(dx, g.InputLength, nameof(Pool2dBackward)), forward: false);

    // ---------------------------------------------------------------- softmax and losses

    /// <summary>Runs a row-wise kernel over rows, about <see cref="RangeJob.Chunk"/> elements of rows per task.</summary>
    private void RowJob(ref RangeJob job, int rows, int cols, delegate*<RangeJob*, int, int, int, void> kernel)
    {
        job.Kernel = kernel;
        job.Length = rows;
        job.I0 = cols;
        job.ChunkSize = RowsPerChunk(cols);
        Elementwise(ref job);
    }

    private static int RowsPerChunk(int cols) => Math.Max(1, RangeJob.Chunk / Math.Max(1, cols));

    public void SoftmaxForward(int rows, int cols, DeviceBuffer x, DeviceBuffer y)
    {
        Checks.NonNegative(rows, nameof(SoftmaxForward)); Checks.NonNegative(cols, nameof(SoftmaxForward));
        long n = (long)rows * cols;
        var job = new RangeJob { P0 = Ptr(x, n, nameof(SoftmaxForward)), P1 = Ptr(y, n, nameof(SoftmaxForward)) };
        if (n > 0) RowJob(ref job, rows, cols, &CpuSoftmax.Forward);
    }

    public void SoftmaxBackward(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        Checks.NonNegative(rows, nameof(SoftmaxBackward)); Checks.NonNegative(cols, nameof(SoftmaxBackward));
        long n = (long)rows * cols;
        var job = new RangeJob
        {
            P0 = Ptr(y, n, nameof(SoftmaxBackward)), P1 = Ptr(dy, n, nameof(SoftmaxBackward)), P2 = Ptr(dx, n, nameof(SoftmaxBackward)),
        };
        if (n > 0) RowJob(ref job, rows, cols, &CpuSoftmax.Backward);
    }

    private double* Partials(int count) => (double*)_partials.Ensure(2L * Math.Max(count, 1));

    private static double SumPartials(double* partials, int count)
    {
        double sum = 0;
        for (int i = 0; i < count; i++) sum += partials[i];
        return sum;
    }

    public float SoftmaxCrossEntropy(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale)
    {
        Checks.NonNegative(rows, nameof(SoftmaxCrossEntropy)); Checks.NonNegative(cols, nameof(SoftmaxCrossEntropy));
        long n = (long)rows * cols;
        var job = new RangeJob
        {
            P0 = Ptr(logits, n, nameof(SoftmaxCrossEntropy)), P1 = Ptr(targets, n, nameof(SoftmaxCrossEntropy)),
            P2 = Ptr(gradient, n, nameof(SoftmaxCrossEntropy)), F0 = gradScale,
        };
        if (n == 0) return 0f;
        int groups = (rows + RowsPerChunk(cols) - 1) / RowsPerChunk(cols);
        job.Partials = Partials(groups);
        RowJob(ref job, rows, cols, &CpuSoftmax.CrossEntropy);
        return (float)SumPartials(job.Partials, groups);
    }

    public float SquaredError(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale)
    {
        Length(length, nameof(SquaredError));
        var job = new RangeJob
        {
            Kernel = &CpuSoftmax.SquaredError, Length = length, F0 = gradScale,
            P0 = Ptr(prediction, length, nameof(SquaredError)), P1 = Ptr(target, length, nameof(SquaredError)),
            P2 = Ptr(gradient, length, nameof(SquaredError)),
        };
        job.Partials = Partials(job.Chunks);
        Elementwise(ref job);
        return (float)SumPartials(job.Partials, job.Chunks);
    }

    public int CountCorrect(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets)
    {
        Checks.NonNegative(rows, nameof(CountCorrect)); Checks.NonNegative(cols, nameof(CountCorrect));
        float* s = Ptr(scores, (long)rows * cols, nameof(CountCorrect));
        float* t = Ptr(targets, (long)rows * cols, nameof(CountCorrect));
        if (cols == 0) return rows;
        int correct = 0;
        for (int r = 0; r < rows; r++)
            if (CpuSoftmax.ArgMax(s + (long)r * cols, cols) == CpuSoftmax.ArgMax(t + (long)r * cols, cols)) correct++;
        return correct;
    }

    // ---------------------------------------------------------------- optimizers

    public void SgdStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                        float lr, float momentum, float weightDecay, bool nesterov)
    {
        Length(length, nameof(SgdStep));
        var job = new RangeJob
        {
            Kernel = &CpuOptimizers.Sgd, Length = length, F0 = lr, F1 = momentum, F2 = weightDecay, B0 = nesterov,
            P0 = Ptr(param, length, nameof(SgdStep)), P1 = Ptr(grad, length, nameof(SgdStep)),
            P2 = momentum != 0 ? Ptr(velocity!, length, nameof(SgdStep)) : null,
        };
        Elementwise(ref job);
    }

    public void AdamStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                         float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        Checks.Positive(step, nameof(AdamStep));
        Length(length, nameof(AdamStep));
        double c1 = 1 - Math.Pow(beta1, step), c2 = 1 - Math.Pow(beta2, step);
        var job = new RangeJob
        {
            Kernel = &CpuOptimizers.Adam, Length = length,
            F0 = (float)(lr / c1), F1 = beta1, F2 = beta2, F3 = eps, F4 = weightDecay, F5 = (float)(1 / c2),
            P0 = Ptr(param, length, nameof(AdamStep)), P1 = Ptr(grad, length, nameof(AdamStep)),
            P2 = Ptr(m, length, nameof(AdamStep)), P3 = Ptr(v, length, nameof(AdamStep)),
        };
        Elementwise(ref job);
    }

    public override void Dispose()
    {
        base.Dispose();
        _pool.Dispose();
        _shared.Dispose();
        _perWorker.Dispose();
        _partials.Dispose();
    }
}
