using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// Inverted dropout: while training, each element is zeroed with probability <see cref="Rate"/> and the rest
/// scaled by 1/(1−rate); at inference the layer passes its input through untouched. Masks come from a
/// counter-based hash of (seed, step), so a seeded run is reproducible on every device.
/// </summary>
public sealed class Dropout : Layer, IRandomLayer
{
    private Workspace _output = null!, _mask = null!, _inputGradient = null!;
    private Tensor? _lastMask;
    private bool _lastWasTraining;
    private uint _seed, _step;

    public Dropout(float rate)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentOutOfRangeException(nameof(rate), $"Dropout rate must be in [0, 1), got {rate}.");
        Rate = rate;
    }

    public float Rate { get; }

    /// <inheritdoc/>
    public long RandomStep
    {
        get => _step;
        set => _step = unchecked((uint)value);
    }

    public override string Spec => $"dropout{Rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    protected override Shape Initialize(Shape input, Random rng)
    {
        _seed = (uint)rng.Next();
        _output = NewWorkspace();
        _mask = NewWorkspace();
        _inputGradient = NewWorkspace();
        return input;
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        CheckInput(x);
        _lastWasTraining = training && Rate > 0;
        if (!_lastWasTraining) return x;
        var y = _output.Get(x.Shape);
        var mask = _mask.Get(x.Shape);
        Device.DropoutForward(x.Length, Rate, unchecked(_seed + 0x9E3779B9u * ++_step), x.Buffer, y.Buffer, mask.Buffer);
        _lastMask = mask;
        return y;
    }

    public override Tensor? Backward(Tensor dy, bool needInputGradient = true)
    {
        if (!needInputGradient) return null;
        if (!_lastWasTraining) return dy;
        var mask = _lastMask!;
        CheckGradient(dy, mask.Shape, Describe());
        var dx = _inputGradient.Get(dy.Shape);
        Device.Multiply(dy.Length, dy.Buffer, mask.Buffer, dx.Buffer);
        return dx;
    }
}
