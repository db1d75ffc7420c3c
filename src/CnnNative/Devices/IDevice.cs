namespace CnnNative.Devices;

/// <summary>
/// The seam between what a CNN computes and how fast a device computes it. Every device implements
/// every op; the "reference" device is the scalar oracle the others are tested against. Get one from
/// <see cref="Device.Create(string, int, Microsoft.Extensions.Logging.ILoggerFactory?)"/>. Every device checks each
/// call in one shared base, so all fail the same way.
/// </summary>
/// <remarks>
/// Conventions, shared by every op:
/// <list type="bullet">
/// <item>Tensors are float32, row-major, NCHW. Buffers may be longer than an op needs (a layer keeps one
/// buffer sized for its largest batch); an op reads and writes only the elements its sizes name.</item>
/// <item>Bad arguments fail before any work, naming the op and the argument: a negative size or an out-of-range
/// scalar (dropout rate outside [0, 1), Adam step &lt; 1, batch-norm eps not positive or momentum outside [0, 1], an undefined enum value) is an
/// <see cref="ArgumentOutOfRangeException"/>; a null buffer an <see cref="ArgumentNullException"/>; a buffer too
/// short for the op's sizes, a buffer of another device or a default geometry an <see cref="ArgumentException"/>;
/// a disposed buffer or device an <see cref="ObjectDisposedException"/>. An op with a size of 0 does nothing (the
/// ops that return a number return 0).</item>
/// <item>Thread safety: a device may be called from many threads at once. Its ops, uploads, downloads and
/// allocations run one at a time, each atomically (under one lock per device), so concurrent callers never share
/// a device's workspaces; results equal those of the same calls made one after another.</item>
/// <item>Buffers are children of their device: disposing the device frees every buffer it still owns.</item>
/// <item>Forward ops and data gradients overwrite their output. Parameter gradients (Conv2dBackwardFilter's
/// dw and db, Gemm with beta = 1, SumRows, BatchNormBackward's dγ and dβ) accumulate, as in PyTorch; the optimizer's ZeroGrad fills them with 0.</item>
/// <item>Ops may run asynchronously; Download and the ops that return a number wait for the work before them.</item>
/// <item>A device never knows about layers.</item>
/// </list>
/// </remarks>
public interface IDevice : IDisposable
{
    /// <summary>The name <see cref="Device.Create(string, int, Microsoft.Extensions.Logging.ILoggerFactory?)"/> accepts for this device.</summary>
    string Name { get; }

    /// <summary>What the device is: kind, processor or GPU model, compute units, memory (for logs and `cnn devices`).</summary>
    DeviceInfo Info { get; }

    // ---------------------------------------------------------------- memory

    /// <summary>A zero-filled buffer of <paramref name="length"/> floats.</summary>
    DeviceBuffer Allocate(int length);

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> starting at element <paramref name="offset"/>.</summary>
    void Upload(ReadOnlySpan<float> source, DeviceBuffer destination, int offset = 0);

    /// <summary>Copies destination.Length elements of <paramref name="source"/>, starting at <paramref name="offset"/>, to the host.</summary>
    void Download(DeviceBuffer source, Span<float> destination, int offset = 0);

    /// <summary>Waits until every op issued so far has finished.</summary>
    void Synchronize();

    // ---------------------------------------------------------------- element-wise

    /// <summary>x[0..length) = value.</summary>
    void Fill(DeviceBuffer x, int length, float value);

    /// <summary>destination[0..length) = source[0..length).</summary>
    void Copy(DeviceBuffer source, DeviceBuffer destination, int length);

    /// <summary>y += alpha·x over length elements.</summary>
    void Axpy(int length, float alpha, DeviceBuffer x, DeviceBuffer y);

    /// <summary>x *= alpha over length elements.</summary>
    void Scale(int length, float alpha, DeviceBuffer x);

    /// <summary>y = a ⊙ b over length elements (dropout masks, gates).</summary>
    void Multiply(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y);

    /// <summary>y = f(x).</summary>
    void ActivationForward(Activation f, int length, DeviceBuffer x, DeviceBuffer y);

    /// <summary>dx = dy ⊙ f'(x), computed from the forward output y (ReLU: y &gt; 0; Sigmoid: y(1−y); Tanh: 1−y²).</summary>
    void ActivationBackward(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx);

    /// <summary>
    /// Inverted dropout: y = x · mask with mask = 1/(1−rate) where u(seed, i) ≥ rate, else 0; u is a counter-based
    /// hash of (seed, i) in [0, 1), so every device draws the same mask for the same seed.
    /// </summary>
    void DropoutForward(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask);

    // ---------------------------------------------------------------- dense

    /// <summary>
    /// C = alpha · op(A) · op(B) + beta · C, row-major, C is m×n, op(A) m×k, op(B) k×n;
    /// op(A) = Aᵀ when transA (A stored k×m), likewise B. beta = 0 ignores C's old contents (even NaN).
    /// </summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c);

    /// <summary>y[r, j] += bias[j] for rows × cols.</summary>
    void AddBiasRows(int rows, int cols, DeviceBuffer bias, DeviceBuffer y);

    /// <summary>y[r, j] = f(y[r, j] + bias[j]): a dense layer's bias with its activation fused (one pass over y on the cpu device).</summary>
    void AddBiasRows(int rows, int cols, DeviceBuffer bias, DeviceBuffer y, Activation activation);

    /// <summary>sums[j] += Σ_r x[r, j] (the bias gradient of a dense layer).</summary>
    void SumRows(int rows, int cols, DeviceBuffer x, DeviceBuffer sums);

    // ---------------------------------------------------------------- convolution

    /// <summary>y = conv(x, w) + bias (bias may be null). Cross-correlation, zero padding, as in every CNN library.</summary>
    void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y);

    /// <summary>
    /// y = f(conv(x, w) + bias): the convolution with its activation fused, the same values as
    /// <see cref="ActivationForward"/> on its output (the cpu device applies ReLU in the convolution's store).
    /// </summary>
    void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y, Activation activation);

    /// <summary>dx = gradient of the loss with respect to x (overwritten).</summary>
    void Conv2dBackwardData(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx);

    /// <summary>dw += gradient with respect to w; db += Σ over N, P, Q of dy (db may be null).</summary>
    void Conv2dBackwardFilter(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db);

    // ---------------------------------------------------------------- pooling

    /// <summary>y = the maximum or the mean of each window of x (overwritten); windows never cross the edge.</summary>
    void Pool2dForward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y);

    /// <summary>
    /// dx = gradient with respect to x (overwritten). Max pooling routes each dy to the first position
    /// (row-major within the window) holding the window's maximum of x; overlapping windows add up.
    /// </summary>
    void Pool2dBackward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx);

    /// <summary>
    /// The gradient through pooling and the activation f before it, whose output x is: dx = f'(x) ⊙ (the gradient
    /// <see cref="Pool2dBackward(in Pool2dGeometry, PoolMode, DeviceBuffer, DeviceBuffer, DeviceBuffer)"/> gives), as
    /// that op and <see cref="ActivationBackward"/> one after the other (the cpu device does ReLU before max pooling
    /// in one pass).
    /// </summary>
    void Pool2dBackward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, Activation activation);

    // ---------------------------------------------------------------- batch normalization

    /// <summary>
    /// Batch normalization with the batch's statistics (training), per channel of x viewed as (n, channels, spatial):
    /// NCHW with spatial = H·W, or (N, features) with spatial = 1. Over the m = n·spatial values of each channel:
    /// mean = Σx/m, var = Σ(x − mean)²/m (biased), invStd = 1/√(var + eps); y = (x − mean)·invStd·γ + β (overwritten).
    /// saveMean and saveInvStd receive mean and invStd (for <see cref="BatchNormBackward"/>); the running statistics
    /// move as PyTorch's do: runningMean = (1 − momentum)·runningMean + momentum·mean, runningVar likewise with the
    /// unbiased variance var·m/(m − 1) (with m = 1, a lone value per channel, the variance 0 is used: y = β then).
    /// </summary>
    void BatchNormForwardTraining(int n, int channels, int spatial, float eps, float momentum,
                                  DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                  DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar);

    /// <summary>Batch normalization with the running statistics (inference): y = (x − runningMean)/√(runningVar + eps)·γ + β.</summary>
    void BatchNormForwardInference(int n, int channels, int spatial, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta,
                                   DeviceBuffer runningMean, DeviceBuffer runningVar, DeviceBuffer y);

    /// <summary>
    /// The gradients of <see cref="BatchNormForwardTraining"/> from its input x and saved statistics, with
    /// x̂ = (x − saveMean)·saveInvStd per channel: dβ += Σ dy, dγ += Σ dy·x̂ (accumulated, as parameter gradients are),
    /// dx = γ·saveInvStd/m · (m·dy − Σ dy − x̂·Σ dy·x̂) (overwritten).
    /// </summary>
    void BatchNormBackward(int n, int channels, int spatial, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer gamma,
                           DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta);

    // ---------------------------------------------------------------- softmax and losses

    /// <summary>Row-wise softmax of a rows × cols matrix.</summary>
    void SoftmaxForward(int rows, int cols, DeviceBuffer x, DeviceBuffer y);

    /// <summary>dx = y ⊙ (dy − Σ_j dy·y), row-wise.</summary>
    void SoftmaxBackward(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx);

    /// <summary>
    /// Softmax and categorical cross-entropy fused (log-sum-exp, stable for any logits). targets is a
    /// rows × cols distribution (one-hot for class labels). Writes gradient = gradScale · (softmax(logits) − targets)
    /// and returns the summed loss −Σ targets · log softmax(logits) over all rows.
    /// </summary>
    float SoftmaxCrossEntropy(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale);

    /// <summary>Writes gradient = gradScale · 2(prediction − target) and returns Σ (prediction − target)².</summary>
    float SquaredError(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale);

    /// <summary>How many rows have argmax(scores) == argmax(targets) (first maximum wins ties).</summary>
    int CountCorrect(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets);

    // ---------------------------------------------------------------- optimizers

    /// <summary>
    /// SGD with momentum and L2 weight decay, PyTorch's form: g = grad + wd·param; v = momentum·v + g;
    /// param −= lr · (nesterov ? g + momentum·v : v). With momentum 0, velocity is not touched (may be null).
    /// </summary>
    void SgdStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                 float lr, float momentum, float weightDecay, bool nesterov);

    /// <summary>
    /// Adam (Kingma &amp; Ba) with bias correction; step is 1 on the first call. Weight decay is L2 (added to the gradient).
    /// m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²; param −= lr · (m / (1−β1^step)) / (sqrt(v / (1−β2^step)) + eps).
    /// </summary>
    void AdamStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                  float lr, float beta1, float beta2, float eps, float weightDecay, int step);
}
