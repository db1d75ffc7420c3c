using CnnNative.Devices.Cpu;
using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices;

/// <summary>
/// The C# compute device: kernels written once over the vector width and compiled for 512-bit vectors (AVX-512F,
/// where present) or 256-bit ones (AVX2+FMA; a portable path where the processor lacks them), chosen once at
/// creation (<see cref="CpuDeviceOptions.Isa"/>); a BLIS-style packed GEMM with a 14×32 (Vector512) or 6×16
/// (Vector256) register-blocked micro-kernel, convolution by the
/// fastest of three algorithms for its shape (direct on wide rows, implicit GEMM, or lowering + GEMM, chosen by
/// <see cref="CpuConv2dPlanner"/>) with the bias fused into the store, and a persistent pool of <see cref="Threads"/>
/// workers. Each op family's kernels live in Cpu/Cpu&lt;Family&gt;.cs.
/// </summary>
/// <remarks>
/// <para>Thread-safe as every device: <see cref="DeviceBase"/> runs one op at a time, so the workspaces (im2col
/// columns, packed panels, partial sums) that every op reuses are never shared by two ops.</para>
/// <para>Workspaces grow to the largest op seen and are then reused: no allocation per op in steady state.
/// Dispose frees them and stops the workers.</para>
/// <para>Results are bitwise reproducible: every reduction adds in an order fixed by the sizes, never by
/// scheduling, and (for up to four threads) not by the thread count either.</para>
/// </remarks>
internal sealed unsafe partial class CpuDevice : HostDeviceBase
{
    private readonly WorkerPool _pool;
    private readonly ScratchMemory _shared = new();
    private readonly ScratchMemory _perWorker = new();
    private readonly ScratchMemory _partials = new();
    private readonly CpuPackedWeights _packed = new();
    private readonly CpuKernels _kernels;
    /// <summary>The 256-bit kernels: <see cref="_kernels"/> itself on a 256-bit device, else for the ops whose panels would idle 512-bit lanes.</summary>
    private readonly CpuKernels _kernels256;
    private readonly CpuPaths _paths;

    /// <param name="threads">Worker threads, the caller included; 0 means <see cref="Environment.ProcessorCount"/>.</param>
    public CpuDevice(int threads = 0) : this(new CpuDeviceOptions { Threads = threads }) { }

    /// <param name="options">Threads and the paths the device may take; fixed for its life.</param>
    public CpuDevice(CpuDeviceOptions options) : base(NameFor(options))
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Threads < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "CpuDevice: threads must be 0 (all cores) or positive.");
        Options = options;
        Threads = options.Threads == 0 ? Environment.ProcessorCount : options.Threads;
        _paths = options.Paths;
        _pool = new WorkerPool(Threads, affine: (_paths & CpuPaths.AffineTasks) != 0,
                               spinMicroseconds: (_paths & CpuPaths.SpinningHelpers) != 0 ? WorkerPool.SpinMicroseconds : 0);
        _kernels = CpuKernels.Create(options.Isa, _pool, _shared, _perWorker, _paths, _packed);
        _kernels256 = _kernels.Isa == CpuIsa.Vector256 ? _kernels : CpuKernels.Create(CpuIsa.Vector256, _pool, _shared, _perWorker, _paths, _packed);
        Isa = _kernels.Isa;
        string isa = CpuProcessor.Isa(Isa);
        Info = new DeviceInfo(Name, "cpu", $"{CpuProcessor.Model()} ({isa})", Threads, 0,
                              new Dictionary<string, string> { ["isa"] = isa, ["threads"] = Threads.ToString(), ["paths"] = _paths.ToString() });
    }

    /// <summary>Threads the device computes with.</summary>
    public int Threads { get; }

    /// <summary>"cpu", or the name <see cref="Device.Create(string, int, Microsoft.Extensions.Logging.ILoggerFactory?)"/> takes for a forced width ("cpu:vector256"), so results say which ran.</summary>
    private static string NameFor(CpuDeviceOptions? options) => options?.Isa switch
    {
        CpuIsa.Vector256 => "cpu:vector256",
        CpuIsa.Vector512 => "cpu:vector512",
        _ => "cpu",
    };

    /// <summary>The vector width the kernels run at (<see cref="CpuDeviceOptions.Isa"/>, Auto resolved).</summary>
    public CpuIsa Isa { get; }

    /// <summary>What the device was created with.</summary>
    public CpuDeviceOptions Options { get; }

    /// <inheritdoc />
    public override DeviceInfo Info { get; }

    /// <summary>The convolution algorithms this device runs for <paramref name="g"/>.</summary>
    public Conv2dPlan PlanConv2d(in Conv2dGeometry g) => CpuConv2dPlanner.Plan(g, _paths, Isa);

    /// <summary>The kernels of the width <see cref="CpuConv2dPlanner.Width"/> picks for an op's panel dimension.</summary>
    private CpuKernels For(int panelDimension) => At(CpuConv2dPlanner.Width(panelDimension, Isa));

    /// <summary>The kernels of the width a convolution's forward runs at (<see cref="CpuConv2dPlanner.ForwardWidth"/>).</summary>
    private CpuKernels ForForward(in Conv2dGeometry g) => At(CpuConv2dPlanner.ForwardWidth(g, _paths, Isa));

    /// <summary>The kernels of <paramref name="width"/>: the device's own, or the 256-bit ones beside them.</summary>
    private CpuKernels At(CpuIsa width) => width == Isa ? _kernels : _kernels256;

    private void Run<TKernel>(TKernel kernel, int length, int chunk = ParallelRange.Chunk) where TKernel : unmanaged, IRangeKernel
        => ParallelRange.Run(_pool, ref kernel, length, chunk);

    /// <summary>One double per chunk for a reduction, from the device's scratch memory.</summary>
    private double* Partials(int chunks) => (double*)_partials.Ensure(2L * chunks);

    private static double Sum(double* partials, int count)
    {
        double sum = 0;
        for (int i = 0; i < count; i++) sum += partials[i];
        return sum;
    }

    protected override void DisposeCore()
    {
        DisposeLanes();
        _pool.Dispose();
        _shared.Dispose();
        _perWorker.Dispose();
        _partials.Dispose();
        _packed.Dispose();
    }

    // ---------------------------------------------------------------- elementwise (CpuElementwise.cs)

    protected override void FillCore(DeviceBuffer x, int length, float value)
        => Run(new CpuElementwise.Fill { X = Ptr(x), Value = value }, length);

    protected override void CopyCore(DeviceBuffer source, DeviceBuffer destination, int length)
        => Run(new CpuElementwise.Copy { Source = Ptr(source), Destination = Ptr(destination) }, length);

    protected override void AxpyCore(int length, float alpha, DeviceBuffer x, DeviceBuffer y)
        => _kernels.Axpy(length, alpha, Ptr(x), Ptr(y));

    protected override void ScaleCore(int length, float alpha, DeviceBuffer x)
        => _kernels.Scale(length, alpha, Ptr(x));

    protected override void MultiplyCore(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y)
        => _kernels.Multiply(length, Ptr(a), Ptr(b), Ptr(y));

    protected override void DropoutForwardCore(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask)
        => Run(new CpuElementwise.Dropout { X = Ptr(x), Y = Ptr(y), Mask = Ptr(mask), Rate = rate, Seed = seed }, length);

    // ---------------------------------------------------------------- activation (CpuActivation.cs)

    protected override void ActivationForwardCore(Activation f, int length, DeviceBuffer x, DeviceBuffer y)
        => _kernels.ActivationForward(f, length, Ptr(x), Ptr(y));

    protected override void ActivationBackwardCore(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
        => _kernels.ActivationBackward(f, length, Ptr(y), Ptr(dy), Ptr(dx));

    // ---------------------------------------------------------------- gemm (CpuGemm.cs, CpuGemm.Rows.cs)

    protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
    {
        var g = GemmProblem.Create(transA, transB, m, n, k, alpha, Ptr(a), Ptr(b), beta, Ptr(c));
        // A few rows are dot products along k (no panels): the widest vectors serve them; otherwise N is cut in panels.
        var kernels = m <= CpuGemm.SmallM ? _kernels : For(n);
        // Shapes the dot tiles take never pack B: every call then takes the same path and gives the same bits, the
        // first read of a weight version as every later one.
        if (m > CpuGemm.SmallM && k > 0 && (_paths & CpuPaths.PackedWeights) != 0 && !kernels.TakesDotTiles(g))
        {
            // B read again unchanged (a dense layer's weights in inference): packed once, then taken as it is.
            int nr = kernels.PanelWidth;
            float* packed = _packed.Find(b, new PackKey(PackedRole.GemmB, nr, transB, k, n), (long)k * CpuGemm.RoundUp(n, nr), out bool pack);
            if (packed != null)
            {
                if (pack) kernels.PackWholeB(ref g, packed);
                g.PackedB = packed;
            }
        }
        kernels.Gemm(ref g);
    }

    protected override void AddBiasRowsCore(int rows, int cols, DeviceBuffer bias, DeviceBuffer y)
        => _kernels.AddBiasRows(Ptr(bias), Ptr(y), rows, cols, relu: false);

    protected override void AddBiasRowsCore(int rows, int cols, DeviceBuffer bias, DeviceBuffer y, Activation activation)
    {
        if (activation == Activation.ReLU && (_paths & CpuPaths.FusedActivation) != 0) _kernels.AddBiasRows(Ptr(bias), Ptr(y), rows, cols, relu: true);
        else base.AddBiasRowsCore(rows, cols, bias, y, activation);
    }

    protected override void SumRowsCore(int rows, int cols, DeviceBuffer x, DeviceBuffer sums)
        => CpuGemm<V256>.SumRows(Ptr(x), rows, cols, Ptr(sums));

    // ---------------------------------------------------------------- conv2d (CpuConv2d*.cs)

    protected override void Conv2dForwardCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y)
        => Conv2dForwardAnyLayout(g, x, w, bias, y, relu: false);

    protected override void Conv2dForwardCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, Activation activation)
    {
        if (activation == Activation.ReLU && (_paths & CpuPaths.FusedActivation) != 0) Conv2dForwardAnyLayout(g, x, w, bias, y, relu: true);
        else base.Conv2dForwardCore(g, x, w, bias, y, activation);
    }

    protected override void Conv2dBackwardDataCore(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
        => At(CpuConv2dPlanner.BackwardDataWidth(g, _paths, Isa)).Conv2dBackwardData(g, Ptr(dy), Ptr(w), Ptr(dx));

    protected override void Conv2dBackwardFilterCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
        => At(CpuConv2dPlanner.BackwardFilterWidth(g, _paths, Isa)).Conv2dBackwardFilter(g, Ptr(x), Ptr(dy), Ptr(dw), Ptr(db));

    // ---------------------------------------------------------------- pool2d (CpuPool2d.cs)

    protected override void Pool2dForwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y)
        => Pool2dForwardAnyLayout(g, mode, x, y);

    protected override void Pool2dBackwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
        => Run(new CpuPool2d.Backward { G = g, Mode = mode, StreamBlock = CpuPool2d.StreamBlock(g, _paths, Isa, backward: true), X = Ptr(x), Dy = Ptr(dy), Dx = Ptr(dx) }, g.N * g.C, CpuPool2d.PlanesPerChunk(g, Threads));

    protected override void Pool2dBackwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, Activation activation)
    {
        if (activation == Activation.ReLU && mode == PoolMode.Max && (_paths & CpuPaths.FusedActivation) != 0)
            Run(new CpuPool2d.Backward { G = g, Mode = mode, Relu = true, StreamBlock = CpuPool2d.StreamBlock(g, _paths, Isa, backward: true), X = Ptr(x), Dy = Ptr(dy), Dx = Ptr(dx) }, g.N * g.C, CpuPool2d.PlanesPerChunk(g, Threads));
        else base.Pool2dBackwardCore(g, mode, x, dy, dx, activation);
    }

    // ---------------------------------------------------------------- batch norm (CpuBatchNorm.cs)

    protected override void BatchNormForwardTrainingCore(int n, int channels, int spatial, float eps, float momentum,
                                                         DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                         DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar)
    {
        var statistics = new CpuBatchNorm.Statistics
        {
            X = Ptr(x), Gamma = Ptr(gamma), SaveMean = Ptr(saveMean), SaveInvStd = Ptr(saveInvStd), RunningMean = Ptr(runningMean),
            RunningVar = Ptr(runningVar), N = n, C = channels, S = spatial, Eps = eps, Momentum = momentum,
        };
        if (spatial > 1 && (_paths & CpuPaths.BatchNormByImages) != 0)
        {
            // Σ(x − K) and Σ(x − K)² by images, K = the channel's first value (close to its mean, so the variance
            // Σ(x − K)² − (Σ(x − K))²/m loses nothing in double), then each channel finished from the chunks in order.
            int rows = n * channels, perChunk = CpuBatchNorm.PlanesPerChunk(spatial), chunks = ParallelRange.Chunks(rows, perChunk);
            double* partials = BatchNormScratch(channels, chunks, out float* shift);
            statistics.Scale = shift + channels;
            for (int c = 0; c < channels; c++) shift[c] = statistics.X[(long)c * spatial];
            Run(new CpuBatchNorm.PlaneSums { A = statistics.X, B = statistics.X, ShiftA = shift, ShiftB = shift, Partials = partials, C = channels, S = spatial },
                rows, perChunk);
            long m = (long)n * spatial;
            for (int c = 0; c < channels; c++)
            {
                var (sum, squares) = CpuBatchNorm.AddChunks(partials, chunks, channels, c);
                statistics.Finish(c, shift[c] + sum / m, Math.Max(0, squares - sum * sum / m), m);
            }
        }
        else
        {
            statistics.Scale = _partials.Ensure(channels);
            Run(statistics, channels, CpuBatchNorm.ChannelsPerChunk(n, spatial));
        }
        BatchNormNormalize(n, channels, spatial, x, Ptr(saveMean), statistics.Scale, beta, y);
    }

    /// <summary>
    /// Scratch of the by-images batch-norm passes: 3·channels floats (shifts and scales, or the backward's
    /// coefficients) and the partial sums of every chunk, 2·channels doubles each.
    /// </summary>
    private double* BatchNormScratch(int channels, int chunks, out float* floats)
    {
        long length = ScratchMemory.Align(3L * channels);
        floats = _partials.Ensure(length + 4L * chunks * channels);
        return (double*)(floats + length);
    }

    protected override void BatchNormForwardInferenceCore(int n, int channels, int spatial, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta,
                                                          DeviceBuffer runningMean, DeviceBuffer runningVar, DeviceBuffer y)
    {
        float* scale = _partials.Ensure(channels);
        CpuBatchNorm.InferenceScale(Ptr(gamma), Ptr(runningVar), eps, scale, channels);
        BatchNormNormalize(n, channels, spatial, x, Ptr(runningMean), scale, beta, y);
    }

    private void BatchNormNormalize(int n, int channels, int spatial, DeviceBuffer x, float* mean, float* scale, DeviceBuffer beta, DeviceBuffer y)
        => Run(new CpuBatchNorm.Normalize { X = Ptr(x), Y = Ptr(y), Mean = mean, Scale = scale, Shift = Ptr(beta), C = channels, S = spatial },
               CpuBatchNorm.Rows(n, channels, spatial), CpuBatchNorm.RowsPerChunk(channels, spatial));

    protected override void BatchNormBackwardCore(int n, int channels, int spatial, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer gamma,
                                                  DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta)
    {
        var sums = new CpuBatchNorm.GradientSums
        {
            X = Ptr(x), Dy = Ptr(dy), Gamma = Ptr(gamma), SaveMean = Ptr(saveMean), SaveInvStd = Ptr(saveInvStd),
            DGamma = Ptr(dgamma), DBeta = Ptr(dbeta), N = n, C = channels, S = spatial,
        };
        if (spatial > 1 && (_paths & CpuPaths.BatchNormByImages) != 0)
        {
            // Σ dy and Σ dy·(x − mean) by images, then each channel finished from the chunks in order.
            int rows = n * channels, perChunk = CpuBatchNorm.PlanesPerChunk(spatial), chunks = ParallelRange.Chunks(rows, perChunk);
            double* partials = BatchNormScratch(channels, chunks, out float* k);
            sums.K = k;
            Run(new CpuBatchNorm.PlaneSums { A = sums.Dy, B = sums.X, ShiftA = null, ShiftB = sums.SaveMean, Partials = partials, C = channels, S = spatial },
                rows, perChunk);
            long m = (long)n * spatial;
            for (int c = 0; c < channels; c++)
            {
                var (sumDy, sumDyXmu) = CpuBatchNorm.AddChunks(partials, chunks, channels, c);
                sums.Finish(c, sumDy, sumDyXmu, m);
            }
        }
        else
        {
            sums.K = _partials.Ensure(3L * channels);
            Run(sums, channels, CpuBatchNorm.ChannelsPerChunk(n, spatial));
        }
        Run(new CpuBatchNorm.InputGradient { X = Ptr(x), Dy = Ptr(dy), Dx = Ptr(dx), Mean = Ptr(saveMean), K = sums.K, C = channels, S = spatial },
            CpuBatchNorm.Rows(n, channels, spatial), CpuBatchNorm.RowsPerChunk(channels, spatial));
    }

    // ---------------------------------------------------------------- softmax (CpuSoftmax.cs)

    protected override void SoftmaxForwardCore(int rows, int cols, DeviceBuffer x, DeviceBuffer y)
        => Run(new CpuSoftmax.Forward { X = Ptr(x), Y = Ptr(y), Cols = cols }, rows, ParallelRange.RowsPerChunk(cols));

    protected override void SoftmaxBackwardCore(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
        => Run(new CpuSoftmax.Backward { Y = Ptr(y), Dy = Ptr(dy), Dx = Ptr(dx), Cols = cols }, rows, ParallelRange.RowsPerChunk(cols));

    // ---------------------------------------------------------------- loss (CpuLoss.cs)

    protected override float SoftmaxCrossEntropyCore(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale)
    {
        int rowsPerChunk = ParallelRange.RowsPerChunk(cols), chunks = ParallelRange.Chunks(rows, rowsPerChunk);
        var k = new CpuLoss.SoftmaxCrossEntropy
        {
            Logits = Ptr(logits), Targets = Ptr(targets), Gradient = Ptr(gradient), Partials = Partials(chunks), Cols = cols, GradScale = gradScale,
        };
        Run(k, rows, rowsPerChunk);
        return (float)Sum(k.Partials, chunks);
    }

    protected override float SquaredErrorCore(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale)
    {
        int chunks = ParallelRange.Chunks(length);
        var k = new CpuLoss.SquaredError
        {
            Prediction = Ptr(prediction), Target = Ptr(target), Gradient = Ptr(gradient), Partials = Partials(chunks), GradScale = gradScale,
        };
        Run(k, length);
        return (float)Sum(k.Partials, chunks);
    }

    protected override int CountCorrectCore(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets)
        => CpuLoss.CountCorrect(Ptr(scores), Ptr(targets), rows, cols);

    // ---------------------------------------------------------------- optimizer (CpuOptimizer.cs)

    protected override void SgdStepCore(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                                        float lr, float momentum, float weightDecay, bool nesterov)
        => _kernels.Sgd(length, Ptr(param), Ptr(grad), Ptr(velocity), lr, momentum, weightDecay, nesterov);

    protected override void AdamStepCore(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                                         float lr, float beta1, float beta2, float eps, float weightDecay, int step)
        => _kernels.Adam(length, Ptr(param), Ptr(grad), Ptr(m), Ptr(v), lr, beta1, beta2, eps, weightDecay, step);
}
