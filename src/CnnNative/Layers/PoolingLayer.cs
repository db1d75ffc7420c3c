using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// What the pooling layers share: the pool2d op over the windows a layer chooses for its (C, H, W) input, the geometry
/// redone for each batch size.
/// </summary>
public abstract class PoolingLayer : Layer
{
    private Pool2dGeometry _geometry;
    private Activation? _activationBefore;

    /// <param name="mode">Whether each window keeps its largest value or its mean.</param>
    protected PoolingLayer(PoolMode mode) => Mode = mode;

    /// <summary>Whether each window keeps its largest value or its mean.</summary>
    public PoolMode Mode { get; }

    /// <summary>
    /// Whether this layer will apply the gradient of <paramref name="previous"/>, the activation just before it, in its
    /// own backward (Pool2dBackward with the activation: one pass less over the full-size gradient); true when it will,
    /// and <paramref name="previous"/>'s backward then passes its gradient through. Called by
    /// <see cref="Training.Sequential.Add"/>.
    /// </summary>
    internal bool TryFuseGradientOf(ActivationLayer previous)
    {
        if (previous.Function != Activation.ReLU || _activationBefore is not null) return false;
        _activationBefore = previous.Function;
        return true;
    }

    /// <summary>The pooling of one sample of <paramref name="input"/> (N = 1); throws <see cref="ArgumentException"/> when it does not fit.</summary>
    protected abstract Pool2dGeometry Window(Shape input);

    /// <summary>The output of one sample: (C, P, Q) unless the layer says otherwise.</summary>
    protected virtual Shape OutputShapeOf(in Pool2dGeometry g) => new(g.C, g.P, g.Q);

    /// <inheritdoc/>
    protected override Shape Initialize(Shape input, Random rng)
    {
        if (input.Rank != 3) throw new ArgumentException($"{Describe()} needs a (channels, height, width) input, got {input}.");
        _geometry = Window(input);
        return OutputShapeOf(_geometry);
    }

    // A local per call, never cached in a field: concurrent passes may run different batch sizes.
    private Pool2dGeometry Geometry(int n) => n == _geometry.N ? _geometry : _geometry.WithBatch(n);

    internal override Tensor Forward(Tensor x, bool training, LayerScratch scratch)
    {
        CheckInput(x, scratch);
        var g = Geometry(x.Shape[0]);
        var y = scratch.Output.Get(OutputShape.WithBatch(g.N));
        y.Buffer.PrivateLayoutAllowed = OutputInDeviceLayout && !training;
        scratch.Device.Pool2dForward(g, Mode, x.Buffer, y.Buffer);
        scratch.Saved = x;
        return y;
    }

    internal override Tensor? Backward(Tensor dy, bool needInputGradient, LayerScratch scratch)
    {
        var x = scratch.Saved ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward.");
        var g = Geometry(x.Shape[0]);
        CheckGradient(dy, OutputShape.WithBatch(g.N));
        if (!needInputGradient) return null;
        var dx = scratch.InputGradient.Get(x.Shape);
        if (_activationBefore is { } f) scratch.Device.Pool2dBackward(g, Mode, x.Buffer, dy.Buffer, dx.Buffer, f);
        else scratch.Device.Pool2dBackward(g, Mode, x.Buffer, dy.Buffer, dx.Buffer);
        return dx;
    }
}
