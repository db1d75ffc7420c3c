using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// K filters of size R×S over all C input channels, stride, zero padding and an optional bias:
/// (N, C, H, W) → (N, K, P, Q) with P = floor((H − R + 2·pad) / stride) + 1.
/// </summary>
public sealed class Conv2d : Layer
{
    private Parameter _weight = null!;
    private Parameter? _bias;
    private Conv2dGeometry _geometry;
    private Activation? _fused;

    /// <summary>Square kernel, stride and padding.</summary>
    public Conv2d(int filters, int kernel, int stride = 1, int padding = 0, bool bias = true, Initializer init = Initializer.He)
        : this(filters, kernel, kernel, stride, stride, padding, padding, bias, init) { }

    /// <summary>Square kernel, stride 1, "valid" (none) or "same" padding (see <see cref="Layers.Padding"/>).</summary>
    public Conv2d(int filters, int kernel, Padding padding, bool bias = true, Initializer init = Initializer.He)
        : this(filters, kernel, kernel, padding, bias, init) { }

    /// <summary>Rectangular kernel (height first), stride 1, "valid" (none) or "same" padding.</summary>
    public Conv2d(int filters, int kernelH, int kernelW, Padding padding, bool bias = true, Initializer init = Initializer.He)
        : this(filters, kernelH, kernelW, 1, 1, PadFor(padding, kernelH, kernelW).H, PadFor(padding, kernelH, kernelW).W, bias, init)
        => SamePadding = padding == Padding.Same;

    /// <summary>Rectangular kernel, stride and padding (height first).</summary>
    public Conv2d(int filters, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                  bool bias = true, Initializer init = Initializer.He)
    {
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), $"Conv2d needs at least one filter, got {filters}.");
        if (kernelH <= 0 || kernelW <= 0) throw new ArgumentOutOfRangeException(nameof(kernelH), $"Conv2d kernel must be positive, got {kernelH}x{kernelW}.");
        if (strideH <= 0 || strideW <= 0) throw new ArgumentOutOfRangeException(nameof(strideH), $"Conv2d stride must be positive, got {strideH}x{strideW}.");
        if (padH < 0 || padW < 0) throw new ArgumentOutOfRangeException(nameof(padH), $"Conv2d padding must be non-negative, got {padH}x{padW}.");
        (Filters, KernelH, KernelW, StrideH, StrideW, PadH, PadW, HasBias, Init) = (filters, kernelH, kernelW, strideH, strideW, padH, padW, bias, init);
    }

    /// <summary>Output channels (K).</summary>
    public int Filters { get; }
    /// <summary>Kernel height (R).</summary>
    public int KernelH { get; }
    /// <summary>Kernel width (S).</summary>
    public int KernelW { get; }
    /// <summary>Vertical step between windows.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal step between windows.</summary>
    public int StrideW { get; }
    /// <summary>Zero rows added above and below.</summary>
    public int PadH { get; }
    /// <summary>Zero columns added left and right.</summary>
    public int PadW { get; }
    /// <summary>Whether a bias per filter is added.</summary>
    public bool HasBias { get; }
    /// <summary>How the weights were drawn.</summary>
    public Initializer Init { get; }

    /// <summary>Whether the padding was asked for as <see cref="Padding.Same"/> (it shows as "ps" in the spec).</summary>
    public bool SamePadding { get; }

    /// <summary>The filters, (K, C, R, S) ("{name}.weight").</summary>
    public Parameter Weight => _weight;
    /// <summary>One bias per filter ("{name}.bias"), or null without bias.</summary>
    public Parameter? Bias => _bias;

    /// <inheritdoc/>
    public override string Spec
    {
        get
        {
            string k = KernelH == KernelW ? $"k{KernelH}" : $"k{KernelH}x{KernelW}";
            string s = StrideH == StrideW ? (StrideH == 1 ? "" : $"s{StrideH}") : $"s{StrideH}x{StrideW}";
            string p = SamePadding ? "ps" : PadH == PadW ? (PadH == 0 ? "" : $"p{PadH}") : $"p{PadH}x{PadW}";
            return $"conv{Filters}{k}{s}{p}{(HasBias ? "" : "nobias")}";
        }
    }

    private static (int H, int W) PadFor(Padding padding, int kernelH, int kernelW)
    {
        if (padding == Padding.Valid) return (0, 0);
        if (padding != Padding.Same) throw new ArgumentOutOfRangeException(nameof(padding), $"Unknown padding {padding}.");
        if (kernelH % 2 == 0 || kernelW % 2 == 0)
            throw new ArgumentException($"Conv2d \"same\" padding needs an odd kernel, got {kernelH}x{kernelW}: an even one would need more zeros on one side than the other.", nameof(padding));
        return ((kernelH - 1) / 2, (kernelW - 1) / 2);
    }

    /// <inheritdoc/>
    protected override Shape Initialize(Shape input, Random rng)
    {
        if (input.Rank != 3)
            throw new ArgumentException($"{Describe()} needs a (channels, height, width) input, got {input}.");
        try
        {
            _geometry = new Conv2dGeometry(1, input[0], input[1], input[2], Filters, KernelH, KernelW, StrideH, StrideW, PadH, PadW);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{Describe()} cannot take input {input}: {e.Message}", e);
        }
        int c = input[0], fanIn = c * KernelH * KernelW, fanOut = Filters * KernelH * KernelW;
        _weight = AddParameter("weight", new Shape(Filters, c, KernelH, KernelW),
                               Initialization.Draw(Init, Filters * fanIn, fanIn, fanOut, rng));
        if (HasBias) _bias = AddParameter("bias", new Shape(Filters), default);
        return new Shape(Filters, _geometry.P, _geometry.Q);
    }

    /// <summary>Takes a following ReLU into the convolution's store (see <see cref="Layer.TryFuse"/>).</summary>
    internal override bool TryFuse(ActivationLayer next)
    {
        if (next.Function != Activation.ReLU || _fused is not null) return false;
        _fused = next.Function;
        return true;
    }

    private protected override int FoldableOutputs => Filters;
    private protected override bool AppliesActivation => _fused is not null;

    // A local per call, never cached in a field: concurrent passes may run different batch sizes.
    private Conv2dGeometry Geometry(int n) => n == _geometry.N ? _geometry : _geometry.WithBatch(n);

    internal override Tensor Forward(Tensor x, bool training, LayerScratch scratch)
    {
        CheckInput(x, scratch);
        var g = Geometry(x.Shape[0]);
        var y = scratch.Output.Get(OutputShape.WithBatch(g.N));
        y.Buffer.PrivateLayoutAllowed = OutputInDeviceLayout && !training;
        if (!training && scratch.FoldsNorms && FoldedNorm is not null)
        {
            var (w, b) = FoldedNorm.Get(_weight, _bias);
            if (ActivationAfterNorm is { } a) scratch.Device.Conv2dForward(g, x.Buffer, w, b, y.Buffer, a);
            else scratch.Device.Conv2dForward(g, x.Buffer, w, b, y.Buffer);
        }
        else if (_fused is { } f) scratch.Device.Conv2dForward(g, x.Buffer, _weight.Value.Buffer, _bias?.Value.Buffer, y.Buffer, f);
        else scratch.Device.Conv2dForward(g, x.Buffer, _weight.Value.Buffer, _bias?.Value.Buffer, y.Buffer);
        scratch.Saved = x;
        return y;
    }

    internal override Tensor? Backward(Tensor dy, bool needInputGradient, LayerScratch scratch)
    {
        var x = scratch.Saved ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward.");
        var g = Geometry(x.Shape[0]);
        CheckGradient(dy, OutputShape.WithBatch(g.N));
        var db = _bias is null ? null : scratch.GradientOf(_bias).Current.Buffer;
        scratch.Device.Conv2dBackwardFilter(g, x.Buffer, dy.Buffer, scratch.GradientOf(_weight).Current.Buffer, db);
        if (!needInputGradient) return null;
        var dx = scratch.InputGradient.Get(x.Shape);
        scratch.Device.Conv2dBackwardData(g, dy.Buffer, _weight.Value.Buffer, dx.Buffer);
        return dx;
    }
}
