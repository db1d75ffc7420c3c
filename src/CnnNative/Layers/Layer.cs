using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// One stage of a network. A layer computes forward and backward through device ops only and never
/// branches on which device it runs on. Shapes here exclude the batch dimension; tensors passed to
/// Forward/Backward include it.
/// </summary>
/// <remarks>
/// A layer holds its parameters and buffers, never the memory of a pass: each pass runs in a
/// <see cref="LayerScratch"/>, so an inference-mode forward reads the layer and changes nothing in it, and any number
/// of them may run at once (each with its own scratch). <see cref="Forward(Tensor, bool)"/> and
/// <see cref="Backward(Tensor, bool)"/>, the explicit loop, use the layer's own scratch: one caller at a time.
/// </remarks>
public abstract class Layer : IDisposable
{
    private IDevice? _device;
    private readonly List<Parameter> _parameters = [];
    private readonly List<LayerBuffer> _buffers = [];
    private LayerScratch? _own;

    /// <summary>Unique name within the model ("conv2d_1"), set when the layer is added.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>Type name shown by Summary ("Conv2d").</summary>
    public virtual string Kind => GetType().Name;

    /// <summary>What the layer's name in a model starts with ("conv2d" for conv2d_1): the kind in lower case unless a layer says otherwise.</summary>
    public virtual string NamePrefix => Kind.ToLowerInvariant();

    /// <summary>The token that recreates this layer in a model spec (e.g. "conv32k5p2"); see <see cref="Models.ModelSpec"/>.</summary>
    public abstract string Spec { get; }

    /// <summary>One sample's input shape (no batch dimension), set when the layer is added to a model.</summary>
    public Shape InputShape { get; private set; }
    /// <summary>One sample's output shape (no batch dimension), set when the layer is added to a model.</summary>
    public Shape OutputShape { get; private set; }
    /// <summary>Whether the layer belongs to a model (has a device and shapes).</summary>
    public bool IsBuilt => _device is not null;

    /// <summary>The trainable tensors, each with its gradient: what the optimizer updates.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>State the layer updates itself and that is saved with it, but not trained (BatchNorm's running statistics).</summary>
    public IReadOnlyList<LayerBuffer> Buffers => _buffers;

    /// <summary>The device the layer runs on; throws before the layer is built.</summary>
    protected IDevice Device => _device ?? throw new InvalidOperationException($"Layer {Describe()} is not built: add it to a Sequential first.");

    /// <summary>Binds the layer to a device and an input shape, creating and initialising its parameters.</summary>
    internal void Build(IDevice device, Shape inputShape, Random rng)
    {
        if (IsBuilt) throw new InvalidOperationException($"Layer {Describe()} already belongs to a model.");
        _device = device;
        InputShape = inputShape;
        OutputShape = Initialize(inputShape, rng);
    }

    /// <summary>
    /// Asks the layer to apply <paramref name="next"/>'s activation in its own forward (Conv2d and Linear take
    /// ReLU into the device op's store); true when it will, and <paramref name="next"/> then passes its input
    /// through. Called by <see cref="Training.Sequential.Add"/> for a layer and the activation that follows it.
    /// </summary>
    internal virtual bool TryFuse(ActivationLayer next) => false;

    /// <summary>
    /// Outputs per sample of a layer whose weights hold a row per output channel (Conv2d's filters, Linear's units),
    /// so a batch normalization after it can be folded into them; 0 for the others.
    /// </summary>
    private protected virtual int FoldableOutputs => 0;

    /// <summary>Whether the layer applies a fused activation (a normalization after it then follows a nonlinearity).</summary>
    private protected virtual bool AppliesActivation => false;

    /// <summary>The batch normalization folded into this layer's weights in a model's inference passes, or null.</summary>
    private protected FoldedBatchNorm? FoldedNorm { get; private set; }

    /// <summary>The activation after <see cref="FoldedNorm"/>, applied in the same op there, or null.</summary>
    private protected Activation? ActivationAfterNorm { get; private set; }

    /// <summary>
    /// Asks the layer to fold the batch normalization that follows into its weights in a model's inference passes
    /// (<see cref="FoldedBatchNorm"/>); true when it will, and <paramref name="next"/> then passes its input through
    /// there. Called by <see cref="Training.Sequential.Add"/>.
    /// </summary>
    internal bool TryFoldNorm(BatchNorm next)
    {
        if (FoldableOutputs == 0 || AppliesActivation || FoldedNorm is not null || next.Weight.Length != FoldableOutputs) return false;
        FoldedNorm = new FoldedBatchNorm(next);
        return true;
    }

    /// <summary>Asks the layer that folded a normalization to apply the ReLU after it in the same op, in a model's inference passes.</summary>
    internal bool TryFoldActivationAfterNorm(ActivationLayer next)
    {
        if (FoldedNorm is null || ActivationAfterNorm is not null || next.Function != Activation.ReLU) return false;
        ActivationAfterNorm = next.Function;
        return true;
    }

    /// <summary>
    /// Whether, in inference, the layer's output may stay in a layout of the device's own (the cpu device's
    /// channel-blocked activations; see <see cref="Devices.DeviceBuffer.PrivateLayoutAllowed"/>): set by
    /// <see cref="Training.Sequential.Add"/> where the next layer reads it in that layout (a convolution, max pooling).
    /// Layers that can use it pass it on to their output buffer; results are the same either way.
    /// </summary>
    internal bool OutputInDeviceLayout { get; set; }

    /// <summary>Checks the input shape, creates parameters and workspaces, returns the output shape.</summary>
    protected abstract Shape Initialize(Shape input, Random rng);

    /// <summary>y = layer(x). The returned tensor is owned by the layer and valid until its next Forward.</summary>
    public Tensor Forward(Tensor x, bool training) => Forward(x, training, OwnScratch);

    /// <summary>
    /// Given dL/dy for the last Forward, accumulates parameter gradients and returns dL/dx (owned by the layer),
    /// or null when <paramref name="needInputGradient"/> is false (the first layer skips that work).
    /// </summary>
    public Tensor? Backward(Tensor dy, bool needInputGradient = true) => Backward(dy, needInputGradient, OwnScratch);

    /// <summary>
    /// y = layer(x) in <paramref name="scratch"/>'s memory, keeping there what Backward needs. Only a training-mode
    /// forward changes the layer (BatchNorm's running statistics, Dropout's step).
    /// </summary>
    internal abstract Tensor Forward(Tensor x, bool training, LayerScratch scratch);

    /// <summary>Backward for the last Forward made with <paramref name="scratch"/>; dL/dx lives in that scratch.</summary>
    internal abstract Tensor? Backward(Tensor dy, bool needInputGradient, LayerScratch scratch);

    private LayerScratch OwnScratch => _own ??= new LayerScratch(Device);

    /// <summary>A trainable parameter named "{layer}.{suffix}", filled with <paramref name="initial"/> (zeros when empty).</summary>
    protected Parameter AddParameter(string suffix, Shape shape, ReadOnlySpan<float> initial)
    {
        var p = new Parameter(Device, suffix, shape);
        if (!initial.IsEmpty) Device.Upload(initial, p.Value.Buffer);
        _parameters.Add(p);
        return p;
    }

    /// <summary>A buffer (see <see cref="Buffers"/>) named "{layer}.{suffix}", filled with <paramref name="initial"/> (zeros when empty).</summary>
    protected LayerBuffer AddBuffer(string suffix, Shape shape, ReadOnlySpan<float> initial, bool nonNegative = false)
    {
        var b = new LayerBuffer(Device, suffix, shape, nonNegative);
        if (!initial.IsEmpty) Device.Upload(initial, b.Value.Buffer);
        _buffers.Add(b);
        return b;
    }

    /// <summary>Throws unless x is a batch of this layer's input shape.</summary>
    private protected void CheckInput(Tensor x, LayerScratch scratch)
    {
        if (x.Shape.Rank != InputShape.Rank + 1 || x.Shape.WithoutBatch() != InputShape)
            throw new ArgumentException($"{Describe()} expects a batch of {InputShape}, got {x.Shape}.", nameof(x));
        if (!ReferenceEquals(x.Device, scratch.Device))
            throw new ArgumentException($"{Describe()} runs on device '{scratch.Device.Name}' but its input is on '{x.Device.Name}'.", nameof(x));
    }

    /// <summary>Throws unless dy matches the output of the last Forward.</summary>
    protected void CheckGradient(Tensor dy, Shape expected)
    {
        // The layer's description is built only for the message: a string per call would allocate in every step.
        if (dy.Shape != expected)
            throw new ArgumentException($"{Describe()}: the output gradient has shape {dy.Shape} but the last output was {expected}.", nameof(dy));
    }

    /// <summary>The layer for messages: "conv2d_1 (Conv2d conv32k5p2)", or "Conv2d(conv32k5p2)" before it is named.</summary>
    public string Describe() => string.IsNullOrEmpty(Name) ? $"{Kind}({Spec})" : $"{Name} ({Kind} {Spec})";

    internal void NameParameters()
    {
        foreach (var p in _parameters)
            if (!p.Name.Contains('.')) p.Name = $"{Name}.{p.Name}";
        foreach (var b in _buffers)
            if (!b.Name.Contains('.')) b.Name = $"{Name}.{b.Name}";
    }

    /// <summary>Frees the layer's parameters, buffers and memory.</summary>
    public virtual void Dispose()
    {
        foreach (var p in _parameters) p.Dispose();
        foreach (var b in _buffers) b.Dispose();
        FoldedNorm?.Dispose();
        _own?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The <see cref="Describe"/> text.</summary>
    public override string ToString() => Describe();
}
