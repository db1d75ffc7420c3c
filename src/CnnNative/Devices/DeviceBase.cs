namespace CnnNative.Devices;

/// <summary>
/// The <see cref="IDevice"/> contract, checked once for every device: each public op validates all of its
/// arguments (<see cref="OpCheck"/>), then runs the device's <c>…Core</c> method inside the device's op lock.
/// A device implements only the Core methods, and receives only valid calls: sizes non-negative, geometry
/// constructed, enum values defined, every buffer non-null, alive, its own and long enough, and the device not
/// disposed. An op with nothing to compute (a length or a matrix side of 0) is validated and returns without
/// calling Core (the ops that return a number return 0).
/// </summary>
/// <remarks>
/// <para>Threads: every op, upload, download, allocation and disposal of a device and its buffers runs under one
/// lock, so a device may be called from many threads at once; ops run one at a time, each atomically, in the order
/// the threads enter. (An asynchronous device, OpenCL, enqueues atomically; its queue runs the ops in that order.)</para>
/// <para>Buffers are children of their device: the device keeps a weak handle on each buffer it allocated, and
/// disposing the device frees those not yet disposed. A buffer of another device is an <see cref="ArgumentException"/>
/// naming both devices.</para>
/// </remarks>
internal abstract class DeviceBase : IDevice
{
    private readonly Lock _gate = new();
    private readonly HashSet<WeakReference<DeviceBuffer>> _buffers = [];
    private int _pruneAt = 64;
    private bool _disposed;

    /// <summary>The op lock (see the remarks); <see cref="OpCheck"/> holds it for the length of an op.</summary>
    internal Lock Gate => _gate;

    /// <summary>
    /// The device whose memory this one shares: itself, or for a cpu device's lane (<see cref="CpuDevice.Lanes"/>) the
    /// cpu device it belongs to. A buffer may be passed to any device of the same home.
    /// </summary>
    internal virtual DeviceBase Home => this;

    /// <param name="name">The name <see cref="Device.Create(string, int, Microsoft.Extensions.Logging.ILoggerFactory?)"/> accepts for this device.</param>
    protected DeviceBase(string name) => Name = name;

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public abstract DeviceInfo Info { get; }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed);

    internal void ThrowIfDisposed(string op)
    {
        if (_disposed) throw new ObjectDisposedException(Name, $"{op}: device '{Name}' was used after it was disposed.");
    }

    // ---------------------------------------------------------------- memory

    /// <inheritdoc />
    public DeviceBuffer Allocate(int length)
    {
        using var op = OpCheck.Length(this, nameof(Allocate), length);
        var buffer = AllocateCore(length);
        if (_buffers.Count >= _pruneAt)
        {
            // Buffers the caller forgot are finalised; drop their handles so the set stays the size of what lives.
            _buffers.RemoveWhere(static r => !r.TryGetTarget(out _));
            _pruneAt = Math.Max(64, 2 * _buffers.Count);
        }
        _buffers.Add(buffer.Registration);
        return buffer;
    }

    /// <inheritdoc />
    public void Upload(ReadOnlySpan<float> source, DeviceBuffer destination, int offset = 0)
    {
        using var op = OpCheck.Length(this, nameof(Upload), offset);
        op.Buffer(destination, (long)offset + source.Length);
        if (!source.IsEmpty) UploadCore(source, destination, offset);
    }

    /// <inheritdoc />
    public void Download(DeviceBuffer source, Span<float> destination, int offset = 0)
    {
        using var op = OpCheck.Length(this, nameof(Download), offset);
        op.Input(source, (long)offset + destination.Length);
        if (!destination.IsEmpty) DownloadCore(source, destination, offset);
    }

    /// <inheritdoc />
    public void Synchronize()
    {
        using var op = OpCheck.Call(this, nameof(Synchronize));
        SynchronizeCore();
    }

    /// <summary>Frees every buffer not yet disposed, then the device's own resources. Twice is harmless.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            Volatile.Write(ref _disposed, true);
            foreach (var handle in _buffers)
                if (handle.TryGetTarget(out var buffer)) buffer.Free(withDevice: true);
            _buffers.Clear();
            DisposeCore();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>A buffer's Dispose: frees it under the lock, so no op of this device is using it meanwhile.</summary>
    internal void Forget(DeviceBuffer buffer)
    {
        lock (_gate)
        {
            _buffers.Remove(buffer.Registration);
            buffer.Free(withDevice: false);
        }
    }

    // ---------------------------------------------------------------- element-wise

    /// <inheritdoc />
    public void Fill(DeviceBuffer x, int length, float value)
    {
        using var op = OpCheck.Length(this, nameof(Fill), length);
        op.Buffer(x, length);
        if (length > 0) FillCore(x, length, value);
    }

    /// <inheritdoc />
    public void Copy(DeviceBuffer source, DeviceBuffer destination, int length)
    {
        using var op = OpCheck.Length(this, nameof(Copy), length);
        op.Buffers(length, source, destination);
        if (length > 0 && !ReferenceEquals(source, destination)) CopyCore(source, destination, length);
    }

    /// <inheritdoc />
    public void Axpy(int length, float alpha, DeviceBuffer x, DeviceBuffer y)
    {
        using var op = OpCheck.Length(this, nameof(Axpy), length);
        op.Buffers(length, x, y);
        if (length > 0) AxpyCore(length, alpha, x, y);
    }

    /// <inheritdoc />
    public void Scale(int length, float alpha, DeviceBuffer x)
    {
        using var op = OpCheck.Length(this, nameof(Scale), length);
        op.Buffer(x, length);
        if (length > 0) ScaleCore(length, alpha, x);
    }

    /// <inheritdoc />
    public void Multiply(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y)
    {
        using var op = OpCheck.Length(this, nameof(Multiply), length);
        op.Buffers(length, a, b, y);
        if (length > 0) MultiplyCore(length, a, b, y);
    }

    /// <inheritdoc />
    public void DropoutForward(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask)
    {
        using var op = OpCheck.Length(this, nameof(DropoutForward), length);
        op.Argument(rate >= 0 && rate < 1, rate, "in [0, 1)", nameof(rate));
        op.Buffers(length, x, y, mask);
        if (length > 0) DropoutForwardCore(length, rate, seed, x, y, mask);
    }

    // ---------------------------------------------------------------- activation

    /// <inheritdoc />
    public void ActivationForward(Activation f, int length, DeviceBuffer x, DeviceBuffer y)
    {
        using var op = OpCheck.Length(this, nameof(ActivationForward), length);
        op.Defined(f);
        op.Buffers(length, x, y);
        if (length > 0) ActivationForwardCore(f, length, x, y);
    }

    /// <inheritdoc />
    public void ActivationBackward(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        using var op = OpCheck.Length(this, nameof(ActivationBackward), length);
        op.Defined(f);
        op.Buffers(length, y, dy, dx);
        if (length > 0) ActivationBackwardCore(f, length, y, dy, dx);
    }

    // ---------------------------------------------------------------- gemm

    /// <inheritdoc />
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
    {
        using var op = OpCheck.Gemm(this, nameof(Gemm), m, n, k);
        op.Input(a, (long)m * k);
        op.Input(b, (long)k * n);
        op.Buffer(c, (long)m * n);
        if (m > 0 && n > 0) GemmCore(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    /// <inheritdoc />
    public void AddBiasRows(int rows, int cols, DeviceBuffer bias, DeviceBuffer y)
    {
        using var op = OpCheck.Matrix(this, nameof(AddBiasRows), rows, cols);
        op.Buffer(bias, cols);
        op.Buffer(y, (long)rows * cols);
        if (rows > 0 && cols > 0) AddBiasRowsCore(rows, cols, bias, y);
    }

    /// <inheritdoc />
    public void AddBiasRows(int rows, int cols, DeviceBuffer bias, DeviceBuffer y, Activation activation)
    {
        using var op = OpCheck.Matrix(this, nameof(AddBiasRows), rows, cols);
        op.Defined(activation);
        op.Input(bias, cols);
        op.Buffer(y, (long)rows * cols);
        if (rows > 0 && cols > 0) AddBiasRowsCore(rows, cols, bias, y, activation);
    }

    /// <inheritdoc />
    public void SumRows(int rows, int cols, DeviceBuffer x, DeviceBuffer sums)
    {
        using var op = OpCheck.Matrix(this, nameof(SumRows), rows, cols);
        op.Buffer(x, (long)rows * cols);
        op.Buffer(sums, cols);
        if (rows > 0 && cols > 0) SumRowsCore(rows, cols, x, sums);
    }

    // ---------------------------------------------------------------- conv2d

    /// <inheritdoc />
    public void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y)
    {
        using var op = OpCheck.Conv(this, nameof(Conv2dForward), g);
        op.Input(x, InputLength(g), ReadsChannelBlocks);
        op.Input(w, FilterLength(g));
        if (bias is not null) op.Input(bias, g.K);
        op.Output(y, OutputLength(g));
        Conv2dForwardCore(g, x, w, bias, y);
    }

    /// <inheritdoc />
    public void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, Activation activation)
    {
        using var op = OpCheck.Conv(this, nameof(Conv2dForward), g);
        op.Defined(activation);
        op.Input(x, InputLength(g), ReadsChannelBlocks);
        op.Input(w, FilterLength(g));
        if (bias is not null) op.Input(bias, g.K);
        op.Output(y, OutputLength(g));
        Conv2dForwardCore(g, x, w, bias, y, activation);
    }

    /// <inheritdoc />
    public void Conv2dBackwardData(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        using var op = OpCheck.Conv(this, nameof(Conv2dBackwardData), g);
        op.Input(dy, OutputLength(g));
        op.Input(w, FilterLength(g));
        op.Buffer(dx, InputLength(g));
        Conv2dBackwardDataCore(g, dy, w, dx);
    }

    /// <inheritdoc />
    public void Conv2dBackwardFilter(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        using var op = OpCheck.Conv(this, nameof(Conv2dBackwardFilter), g);
        op.Input(x, InputLength(g));
        op.Input(dy, OutputLength(g));
        op.Buffer(dw, FilterLength(g));
        if (db is not null) op.Buffer(db, g.K);
        Conv2dBackwardFilterCore(g, x, dy, dw, db);
    }

    // Lengths in long: a geometry whose tensors pass 2^31 elements then fails the buffer check instead of overflowing.
    private static long InputLength(in Conv2dGeometry g) => (long)g.N * g.C * g.H * g.W;
    private static long FilterLength(in Conv2dGeometry g) => (long)g.K * g.C * g.R * g.S;
    private static long OutputLength(in Conv2dGeometry g) => (long)g.N * g.K * g.P * g.Q;

    // ---------------------------------------------------------------- pool2d

    /// <inheritdoc />
    public void Pool2dForward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y)
    {
        using var op = OpCheck.Pool(this, nameof(Pool2dForward), g);
        op.Defined(mode);
        op.Input(x, (long)g.N * g.C * g.H * g.W, ReadsChannelBlocks);
        op.Output(y, (long)g.N * g.C * g.P * g.Q);
        Pool2dForwardCore(g, mode, x, y);
    }

    /// <inheritdoc />
    public void Pool2dBackward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
    {
        using var op = OpCheck.Pool(this, nameof(Pool2dBackward), g);
        op.Defined(mode);
        op.Buffer(x, (long)g.N * g.C * g.H * g.W);
        op.Buffer(dy, (long)g.N * g.C * g.P * g.Q);
        op.Buffer(dx, (long)g.N * g.C * g.H * g.W);
        Pool2dBackwardCore(g, mode, x, dy, dx);
    }

    /// <inheritdoc />
    public void Pool2dBackward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, Activation activation)
    {
        using var op = OpCheck.Pool(this, nameof(Pool2dBackward), g);
        op.Defined(mode);
        op.Defined(activation);
        op.Buffer(x, (long)g.N * g.C * g.H * g.W);
        op.Buffer(dy, (long)g.N * g.C * g.P * g.Q);
        op.Buffer(dx, (long)g.N * g.C * g.H * g.W);
        Pool2dBackwardCore(g, mode, x, dy, dx, activation);
    }

    // ---------------------------------------------------------------- batch normalization

    /// <inheritdoc />
    public void BatchNormForwardTraining(int n, int channels, int spatial, float eps, float momentum,
                                         DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                         DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar)
    {
        using var op = OpCheck.Channels(this, nameof(BatchNormForwardTraining), n, channels, spatial);
        CheckBatchNormScalars(op, eps);
        op.Argument(momentum >= 0 && momentum <= 1, momentum, "in [0, 1]", nameof(momentum));
        long length = (long)n * channels * spatial;
        op.Buffers(length, x, y);
        op.Buffers(channels, gamma, beta, saveMean);
        op.Buffers(channels, saveInvStd, runningMean, runningVar);
        if (length > 0) BatchNormForwardTrainingCore(n, channels, spatial, eps, momentum, x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar);
    }

    /// <inheritdoc />
    public void BatchNormForwardInference(int n, int channels, int spatial, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta,
                                          DeviceBuffer runningMean, DeviceBuffer runningVar, DeviceBuffer y)
    {
        using var op = OpCheck.Channels(this, nameof(BatchNormForwardInference), n, channels, spatial);
        CheckBatchNormScalars(op, eps);
        long length = (long)n * channels * spatial;
        op.Buffer(x, length);
        op.Buffers(channels, gamma, beta, runningMean);
        op.Buffer(runningVar, channels);
        op.Buffer(y, length);
        if (length > 0) BatchNormForwardInferenceCore(n, channels, spatial, eps, x, gamma, beta, runningMean, runningVar, y);
    }

    /// <inheritdoc />
    public void BatchNormBackward(int n, int channels, int spatial, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer gamma,
                                  DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta)
    {
        using var op = OpCheck.Channels(this, nameof(BatchNormBackward), n, channels, spatial);
        long length = (long)n * channels * spatial;
        op.Buffers(length, x, dy);
        op.Buffers(channels, gamma, saveMean, saveInvStd);
        op.Buffer(dx, length);
        op.Buffers(channels, dgamma, dbeta);
        if (length > 0) BatchNormBackwardCore(n, channels, spatial, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

    // eps keeps 1/√(var + eps) finite for a channel whose values are all equal.
    private static void CheckBatchNormScalars(in OpCheck op, float eps)
        => op.Argument(eps > 0 && float.IsFinite(eps), eps, "positive and finite", nameof(eps));

    // ---------------------------------------------------------------- softmax

    /// <inheritdoc />
    public void SoftmaxForward(int rows, int cols, DeviceBuffer x, DeviceBuffer y)
    {
        using var op = OpCheck.Matrix(this, nameof(SoftmaxForward), rows, cols);
        op.Buffers((long)rows * cols, x, y);
        if (rows > 0 && cols > 0) SoftmaxForwardCore(rows, cols, x, y);
    }

    /// <inheritdoc />
    public void SoftmaxBackward(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        using var op = OpCheck.Matrix(this, nameof(SoftmaxBackward), rows, cols);
        op.Buffers((long)rows * cols, y, dy, dx);
        if (rows > 0 && cols > 0) SoftmaxBackwardCore(rows, cols, y, dy, dx);
    }

    // ---------------------------------------------------------------- loss

    /// <inheritdoc />
    public float SoftmaxCrossEntropy(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale)
    {
        using var op = OpCheck.Matrix(this, nameof(SoftmaxCrossEntropy), rows, cols);
        op.Buffers((long)rows * cols, logits, targets, gradient);
        return rows > 0 && cols > 0 ? SoftmaxCrossEntropyCore(rows, cols, logits, targets, gradient, gradScale) : 0f;
    }

    /// <inheritdoc />
    public float SquaredError(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale)
    {
        using var op = OpCheck.Length(this, nameof(SquaredError), length);
        op.Buffers(length, prediction, target, gradient);
        return length > 0 ? SquaredErrorCore(length, prediction, target, gradient, gradScale) : 0f;
    }

    /// <inheritdoc />
    public int CountCorrect(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets)
    {
        using var op = OpCheck.Matrix(this, nameof(CountCorrect), rows, cols);
        op.Buffers((long)rows * cols, scores, targets);
        return rows > 0 && cols > 0 ? CountCorrectCore(rows, cols, scores, targets) : 0;
    }

    // ---------------------------------------------------------------- optimizer

    /// <inheritdoc />
    public void SgdStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                        float lr, float momentum, float weightDecay, bool nesterov)
    {
        using var op = OpCheck.Length(this, nameof(SgdStep), length);
        op.Buffers(length, param, grad);
        // With momentum 0 the velocity is neither read nor written, so it may be null.
        if (momentum != 0) op.Buffer(velocity, length);
        if (length > 0) SgdStepCore(length, param, grad, momentum != 0 ? velocity : null, lr, momentum, weightDecay, nesterov);
    }

    /// <inheritdoc />
    public void AdamStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                         float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        using var op = OpCheck.Length(this, nameof(AdamStep), length);
        op.Argument(step > 0, step, "positive (1 on the first step)", nameof(step));
        op.Buffers(length, param, grad, m);
        op.Buffer(v, length);
        if (length > 0) AdamStepCore(length, param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    }

    // ---------------------------------------------------------------- what a device implements

    /// <summary>A zero-filled buffer of <paramref name="length"/> ≥ 0 floats.</summary>
    protected abstract DeviceBuffer AllocateCore(int length);

    /// <summary>
    /// Puts a buffer the device left in a layout of its own (<see cref="DeviceBuffer.Layout"/>) back in the logical
    /// NCHW order, in place, under the op lock: <see cref="OpCheck"/> calls it for every buffer an op takes, unless the
    /// op reads that layout itself. Only the cpu device keeps another layout; the others never see one.
    /// </summary>
    internal virtual void RestoreLogical(DeviceBuffer buffer)
        => throw new InvalidOperationException($"Device '{Name}' keeps no layout but NCHW, yet {buffer} is marked {buffer.Layout}.");

    /// <summary>Whether the device's Conv2dForward and Pool2dForward read a channel-blocked x themselves (else it is restored first).</summary>
    internal virtual bool ReadsChannelBlocks => false;
    /// <summary>A non-empty upload that fits the buffer.</summary>
    protected abstract void UploadCore(ReadOnlySpan<float> source, DeviceBuffer destination, int offset);
    /// <summary>A non-empty download that fits the buffer.</summary>
    protected abstract void DownloadCore(DeviceBuffer source, Span<float> destination, int offset);
    /// <summary>Waits for the work issued so far.</summary>
    protected abstract void SynchronizeCore();
    /// <summary>Frees the device's own resources (its buffers are already freed). Called once.</summary>
    protected abstract void DisposeCore();

    /// <summary>Elementwise family; lengths &gt; 0.</summary>
    protected abstract void FillCore(DeviceBuffer x, int length, float value);
    protected abstract void CopyCore(DeviceBuffer source, DeviceBuffer destination, int length);
    protected abstract void AxpyCore(int length, float alpha, DeviceBuffer x, DeviceBuffer y);
    protected abstract void ScaleCore(int length, float alpha, DeviceBuffer x);
    protected abstract void MultiplyCore(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y);
    /// <summary>Elementwise family; length &gt; 0, rate in [0, 1).</summary>
    protected abstract void DropoutForwardCore(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask);

    /// <summary>Activation family; length &gt; 0, f a defined value.</summary>
    protected abstract void ActivationForwardCore(Activation f, int length, DeviceBuffer x, DeviceBuffer y);
    protected abstract void ActivationBackwardCore(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx);

    /// <summary>Gemm family; m, n &gt; 0, k ≥ 0.</summary>
    protected abstract void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c);
    /// <summary>Gemm family; rows, cols &gt; 0.</summary>
    protected abstract void AddBiasRowsCore(int rows, int cols, DeviceBuffer bias, DeviceBuffer y);
    /// <summary>The fused bias and activation; by default the two ops one after the other, y in place.</summary>
    protected virtual void AddBiasRowsCore(int rows, int cols, DeviceBuffer bias, DeviceBuffer y, Activation activation)
    {
        AddBiasRowsCore(rows, cols, bias, y);
        ActivationForwardCore(activation, rows * cols, y, y);
    }
    protected abstract void SumRowsCore(int rows, int cols, DeviceBuffer x, DeviceBuffer sums);

    /// <summary>Conv2d family; a constructed geometry, buffers long enough (bias and db may be null).</summary>
    protected abstract void Conv2dForwardCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y);
    /// <summary>The fused convolution and activation; by default the two ops one after the other, y in place.</summary>
    protected virtual void Conv2dForwardCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, Activation activation)
    {
        Conv2dForwardCore(g, x, w, bias, y);
        ActivationForwardCore(activation, (int)OutputLength(g), y, y);
    }
    protected abstract void Conv2dBackwardDataCore(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx);
    protected abstract void Conv2dBackwardFilterCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db);

    /// <summary>Pool2d family; a constructed geometry, a defined mode.</summary>
    protected abstract void Pool2dForwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y);
    protected abstract void Pool2dBackwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx);
    /// <summary>Pooling's gradient through the activation before it; by default the two ops one after the other, dx in place.</summary>
    protected virtual void Pool2dBackwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, Activation activation)
    {
        Pool2dBackwardCore(g, mode, x, dy, dx);
        ActivationBackwardCore(activation, g.N * g.C * g.H * g.W, x, dx, dx);
    }

    /// <summary>BatchNorm family; n·channels·spatial &gt; 0, eps positive and finite, momentum in [0, 1].</summary>
    protected abstract void BatchNormForwardTrainingCore(int n, int channels, int spatial, float eps, float momentum,
                                                         DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                         DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar);
    protected abstract void BatchNormForwardInferenceCore(int n, int channels, int spatial, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta,
                                                          DeviceBuffer runningMean, DeviceBuffer runningVar, DeviceBuffer y);
    protected abstract void BatchNormBackwardCore(int n, int channels, int spatial, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer gamma,
                                                  DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta);

    /// <summary>Softmax family; rows, cols &gt; 0.</summary>
    protected abstract void SoftmaxForwardCore(int rows, int cols, DeviceBuffer x, DeviceBuffer y);
    protected abstract void SoftmaxBackwardCore(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx);

    /// <summary>Loss family; rows, cols &gt; 0.</summary>
    protected abstract float SoftmaxCrossEntropyCore(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale);
    /// <summary>Loss family; length &gt; 0.</summary>
    protected abstract float SquaredErrorCore(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale);
    protected abstract int CountCorrectCore(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets);

    /// <summary>Optimizer family; length &gt; 0; velocity is null exactly when momentum is 0.</summary>
    protected abstract void SgdStepCore(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                                        float lr, float momentum, float weightDecay, bool nesterov);
    /// <summary>Optimizer family; length &gt; 0, step &gt; 0.</summary>
    protected abstract void AdamStepCore(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                                         float lr, float beta1, float beta2, float eps, float weightDecay, int step);
}
