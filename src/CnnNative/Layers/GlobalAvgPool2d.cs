using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// The mean of each channel's whole feature map: (C, H, W) → (C), as Keras' GlobalAveragePooling2D (PyTorch's
/// AdaptiveAvgPool2d(1) followed by a flatten), so a classifier head can follow directly.
/// </summary>
/// <remarks>
/// It runs as the pool2d op with one H×W window a plane, which is exactly this mean on every device (the window's
/// sum, in double on the host devices, divided by H·W), so it needs no op of its own.
/// </remarks>
public sealed class GlobalAvgPool2d : Layer
{
    private Workspace _output = null!, _inputGradient = null!;
    private Pool2dGeometry _geometry;
    private Tensor? _lastInput;

    public override string Spec => "gap";

    /// <summary>Named after its spec token: gap_1, gap_2, ...</summary>
    public override string NamePrefix => "gap";

    protected override Shape Initialize(Shape input, Random rng)
    {
        if (input.Rank != 3) throw new ArgumentException($"{Describe()} needs a (channels, height, width) input, got {input}.");
        _geometry = new Pool2dGeometry(1, input[0], input[1], input[2], input[1], input[2], 1, 1);
        _output = NewWorkspace();
        _inputGradient = NewWorkspace();
        return new Shape(input[0]);
    }

    private Pool2dGeometry Geometry(int n) => n == _geometry.N ? _geometry : _geometry = _geometry.WithBatch(n);

    public override Tensor Forward(Tensor x, bool training)
    {
        CheckInput(x);
        var g = Geometry(x.Shape[0]);
        var y = _output.Get(OutputShape.WithBatch(g.N));
        Device.Pool2dForward(g, PoolMode.Average, x.Buffer, y.Buffer);
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
        Device.Pool2dBackward(g, PoolMode.Average, x.Buffer, dy.Buffer, dx.Buffer);
        return dx;
    }
}
