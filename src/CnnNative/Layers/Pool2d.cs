using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// Max or average over R×S windows moved by a stride, per channel; no padding, so windows that would cross
/// the edge are dropped (output side = floor((H − R) / stride) + 1). Overlapping windows (F=3, S=2) are allowed.
/// </summary>
public abstract class Pool2d : PoolingLayer
{
    /// <summary>A window of <paramref name="sizeH"/>×<paramref name="sizeW"/> moved by (<paramref name="strideH"/>, <paramref name="strideW"/>), all positive.</summary>
    protected Pool2d(PoolMode mode, int sizeH, int sizeW, int strideH, int strideW) : base(mode)
    {
        if (sizeH <= 0 || sizeW <= 0) throw new ArgumentOutOfRangeException(nameof(sizeH), $"Pooling window must be positive, got {sizeH}x{sizeW}.");
        if (strideH <= 0 || strideW <= 0) throw new ArgumentOutOfRangeException(nameof(strideH), $"Pooling stride must be positive, got {strideH}x{strideW}.");
        (SizeH, SizeW, StrideH, StrideW) = (sizeH, sizeW, strideH, strideW);
    }

    /// <summary>Window height.</summary>
    public int SizeH { get; }
    /// <summary>Window width.</summary>
    public int SizeW { get; }
    /// <summary>Vertical step between windows.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal step between windows.</summary>
    public int StrideW { get; }

    /// <inheritdoc/>
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

    /// <inheritdoc/>
    protected override Pool2dGeometry Window(Shape input)
    {
        try
        {
            return new Pool2dGeometry(1, input[0], input[1], input[2], SizeH, SizeW, StrideH, StrideW);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{Describe()} cannot take input {input}: {e.Message}", e);
        }
    }
}

/// <summary>Largest value of each window.</summary>
public sealed class MaxPool2d : Pool2d
{
    /// <summary>A size×size window; the stride defaults to the size (non-overlapping).</summary>
    public MaxPool2d(int size = 2, int? stride = null) : base(PoolMode.Max, size, size, stride ?? size, stride ?? size) { }
    /// <summary>A rectangular window and stride, height first.</summary>
    public MaxPool2d(int sizeH, int sizeW, int strideH, int strideW) : base(PoolMode.Max, sizeH, sizeW, strideH, strideW) { }
}

/// <summary>Mean of each window.</summary>
public sealed class AvgPool2d : Pool2d
{
    /// <summary>A size×size window; the stride defaults to the size (non-overlapping).</summary>
    public AvgPool2d(int size = 2, int? stride = null) : base(PoolMode.Average, size, size, stride ?? size, stride ?? size) { }
    /// <summary>A rectangular window and stride, height first.</summary>
    public AvgPool2d(int sizeH, int sizeW, int strideH, int strideW) : base(PoolMode.Average, sizeH, sizeW, strideH, strideW) { }
}
