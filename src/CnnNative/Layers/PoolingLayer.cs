using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// What the pooling layers share: the pool2d op over the windows a layer chooses for its (C, H, W) input, the geometry
/// redone for each batch size, and the output and input-gradient workspaces.
/// </summary>
public abstract class PoolingLayer : Layer
{
    private Workspace _output = null!, _inputGradient = null!;
    private Pool2dGeometry _geometry;
    private Tensor? _lastInput;

    /// <param name="mode">Whether each window keeps its largest value or its mean.</param>
    protected PoolingLayer(PoolMode mode) => Mode = mode;

    public PoolMode Mode { get; }

    /// <summary>The pooling of one sample of <paramref name="input"/> (N = 1); throws <see cref="ArgumentException"/> when it does not fit.</summary>
    protected abstract Pool2dGeometry Window(Shape input);

    /// <summary>The output of one sample: (C, P, Q) unless the layer says otherwise.</summary>
    protected virtual Shape OutputShapeOf(in Pool2dGeometry g) => new(g.C, g.P, g.Q);

    protected override Shape Initialize(Shape input, Random rng)
    {
        if (input.Rank != 3) throw new ArgumentException($"{Describe()} needs a (channels, height, width) input, got {input}.");
        _geometry = Window(input);
        _output = NewWorkspace();
        _inputGradient = NewWorkspace();
        return OutputShapeOf(_geometry);
    }

    private Pool2dGeometry Geometry(int n) => n == _geometry.N ? _geometry : _geometry = _geometry.WithBatch(n);

    public override Tensor Forward(Tensor x, bool training)
    {
        CheckInput(x);
        var g = Geometry(x.Shape[0]);
        var y = _output.Get(OutputShape.WithBatch(g.N));
        Device.Pool2dForward(g, Mode, x.Buffer, y.Buffer);
        _lastInput = x;
        return y;
    }

    public override Tensor? Backward(Tensor dy, bool needInputGradient = true)
    {
        var x = _lastInput ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward.");
        var g = Geometry(x.Shape[0]);
        CheckGradient(dy, OutputShape.WithBatch(g.N), Describe());
        if (!needInputGradient) return null;
        var dx = _inputGradient.Get(x.Shape);
        Device.Pool2dBackward(g, Mode, x.Buffer, dy.Buffer, dx.Buffer);
        return dx;
    }
}
