using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// Fully connected: y = x·Wᵀ + b with W of shape (units, features). An input with more than one dimension
/// is read flat (features = C·H·W), so a Flatten in front is optional.
/// </summary>
public sealed class Linear : Layer
{
    private Parameter _weight = null!;
    private Parameter? _bias;
    private Activation? _fused;
    private int _features;

    /// <summary>A dense layer of <paramref name="units"/> outputs.</summary>
    /// <param name="units">Outputs per sample, positive.</param>
    /// <param name="bias">Whether a bias per unit is added.</param>
    /// <param name="init">How the weights are drawn.</param>
    public Linear(int units, bool bias = true, Initializer init = Initializer.He)
    {
        if (units <= 0) throw new ArgumentOutOfRangeException(nameof(units), $"Linear needs at least one unit, got {units}.");
        (Units, HasBias, Init) = (units, bias, init);
    }

    /// <summary>Outputs per sample.</summary>
    public int Units { get; }
    /// <summary>Whether a bias per unit is added.</summary>
    public bool HasBias { get; }
    /// <summary>How the weights were drawn.</summary>
    public Initializer Init { get; }
    /// <summary>W, (units, features) ("{name}.weight").</summary>
    public Parameter Weight => _weight;
    /// <summary>One bias per unit ("{name}.bias"), or null without bias.</summary>
    public Parameter? Bias => _bias;

    /// <inheritdoc/>
    public override string Kind => "Linear";
    /// <inheritdoc/>
    public override string Spec => $"dense{Units}{(HasBias ? "" : "nobias")}";

    /// <inheritdoc/>
    protected override Shape Initialize(Shape input, Random rng)
    {
        _features = input.Size;
        _weight = AddParameter("weight", new Shape(Units, _features), Initialization.Draw(Init, Units * _features, _features, Units, rng));
        if (HasBias) _bias = AddParameter("bias", new Shape(Units), default);
        return new Shape(Units);
    }

    /// <summary>Takes a following ReLU into the bias pass (see <see cref="Layer.TryFuse"/>).</summary>
    internal override bool TryFuse(ActivationLayer next)
    {
        if (next.Function != Activation.ReLU || _fused is not null) return false;
        _fused = next.Function;
        return true;
    }

    private protected override int FoldableOutputs => Units;
    private protected override bool AppliesActivation => _fused is not null;

    internal override Tensor Forward(Tensor x, bool training, LayerScratch scratch)
    {
        CheckInput(x, scratch);
        int n = x.Shape[0];
        var y = scratch.Output.Get(new Shape(n, Units));
        if (!training && scratch.FoldsNorms && FoldedNorm is not null)
        {
            var (w, b) = FoldedNorm.Get(_weight, _bias);
            scratch.Device.Gemm(false, true, n, Units, _features, 1f, x.Buffer, w, 0f, y.Buffer);
            if (ActivationAfterNorm is { } a) scratch.Device.AddBiasRows(n, Units, b, y.Buffer, a);
            else scratch.Device.AddBiasRows(n, Units, b, y.Buffer);
            scratch.Saved = x;
            return y;
        }
        scratch.Device.Gemm(false, true, n, Units, _features, 1f, x.Buffer, _weight.Value.Buffer, 0f, y.Buffer);
        if (_fused is { } f)
        {
            if (_bias is not null) scratch.Device.AddBiasRows(n, Units, _bias.Value.Buffer, y.Buffer, f);
            else scratch.Device.ActivationForward(f, n * Units, y.Buffer, y.Buffer);
        }
        else if (_bias is not null) scratch.Device.AddBiasRows(n, Units, _bias.Value.Buffer, y.Buffer);
        scratch.Saved = x;
        return y;
    }

    internal override Tensor? Backward(Tensor dy, bool needInputGradient, LayerScratch scratch)
    {
        var x = scratch.Saved ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward.");
        int n = x.Shape[0];
        CheckGradient(dy, new Shape(n, Units));
        // dW += dyᵀ·x (units × features), db += Σ_n dy, dx = dy·W.
        // After ZeroGrad the GEMM overwrites the weight gradient (beta = 0) instead of adding to a filled 0.
        var dw = scratch.GradientOf(_weight);
        float beta = dw.TakeZero() ? 0f : 1f;
        scratch.Device.Gemm(true, false, Units, _features, n, 1f, dy.Buffer, x.Buffer, beta, dw.Unfilled.Buffer);
        if (_bias is not null) scratch.Device.SumRows(n, Units, dy.Buffer, scratch.GradientOf(_bias).Current.Buffer);
        if (!needInputGradient) return null;
        var dx = scratch.InputGradient.Get(x.Shape);
        scratch.Device.Gemm(false, false, n, _features, Units, 1f, dy.Buffer, _weight.Value.Buffer, 0f, dx.Buffer);
        return dx;
    }
}
