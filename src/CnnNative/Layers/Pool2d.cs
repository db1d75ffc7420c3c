using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// Max or average over R×S windows moved by a stride, per channel; no padding, so windows that would cross
/// the edge are dropped (output side = floor((H − R) / stride) + 1). Overlapping windows (F=3, S=2) are allowed.
/// </summary>
public abstract class Pool2d : Layer
{
    private Workspace _output = null!, _inputGradient = null!;
    private Pool2dGeometry _geometry;
    private Tensor? _lastInput;

    protected Pool2d(PoolMode mode, int sizeH, int sizeW, int strideH, int strideW)
    {
        if (sizeH <= 0 || sizeW <= 0) throw new ArgumentOutOfRangeException(nameof(sizeH), $"Pooling window must be positive, got {sizeH}x{sizeW}.");
        if (strideH <= 0 || strideW <= 0) throw new ArgumentOutOfRangeException(nameof(strideH), $"Pooling stride must be positive, got {strideH}x{strideW}.");
        (Mode, SizeH, SizeW, StrideH, StrideW) = (mode, sizeH, sizeW, strideH, strideW);
    }

    public PoolMode Mode { get; }
    public int SizeH { get; }
    public int SizeW { get; }
    public int StrideH { get; }
    public int StrideW { get; }

    public override string Spec
    {
        get
        {
            string name = Mode == PoolMode.Max ? "maxpool" : "avgpool";
            string size = SizeH == SizeW ? $"{SizeH}" : $"{SizeH}x{SizeW}";
            string stride = StrideH == SizeH && StrideW == SizeW ? "" : StrideH == StrideW ? $"s{StrideH}" : $"s{StrideH}x{StrideW}";
            return name + size + stride;
        }
    }

    protected override Shape Initialize(Shape input, Random rng)
    {
        if (input.Rank != 3) throw new ArgumentException($"{Describe()} needs a (channels, height, width) input, got {input}.");
        try
        {
            _geometry = new Pool2dGeometry(1, input[0], input[1], input[2], SizeH, SizeW, StrideH, StrideW);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{Describe()} cannot take input {input}: {e.Message}", e);
        }
        _output = NewWorkspace();
        _inputGradient = NewWorkspace();
        return new Shape(input[0], _geometry.P, _geometry.Q);
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

/// <summary>Largest value of each window.</summary>
public sealed class MaxPool2d : Pool2d
{
    /// <summary>A size×size window; the stride defaults to the size (non-overlapping).</summary>
    public MaxPool2d(int size = 2, int? stride = null) : base(PoolMode.Max, size, size, stride ?? size, stride ?? size) { }
    public MaxPool2d(int sizeH, int sizeW, int strideH, int strideW) : base(PoolMode.Max, sizeH, sizeW, strideH, strideW) { }
}

/// <summary>Mean of each window.</summary>
public sealed class AvgPool2d : Pool2d
{
    /// <summary>A size×size window; the stride defaults to the size (non-overlapping).</summary>
    public AvgPool2d(int size = 2, int? stride = null) : base(PoolMode.Average, size, size, stride ?? size, stride ?? size) { }
    public AvgPool2d(int sizeH, int sizeW, int strideH, int strideW) : base(PoolMode.Average, sizeH, sizeW, strideH, strideW) { }
}
