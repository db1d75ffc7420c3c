using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// Inverted dropout: while training, each element is zeroed with probability <see cref="Rate"/> and the rest
/// scaled by 1/(1−rate); at inference the layer passes its input through untouched. Masks come from a
/// counter-based hash of (seed, step), so a seeded run is reproducible on every device.
/// </summary>
public sealed class Dropout : Layer, IRandomLayer
{
    private uint _seed, _step;

    /// <summary>Dropout zeroing each element with probability <paramref name="rate"/>, in [0, 1), while training.</summary>
    public Dropout(float rate)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentOutOfRangeException(nameof(rate), $"Dropout rate must be in [0, 1), got {rate}.");
        Rate = rate;
    }

    /// <summary>The probability that an element is zeroed in training.</summary>
    public float Rate { get; }

    /// <inheritdoc/>
    public long RandomStep
    {
        get => _step;
        set => _step = unchecked((uint)value);
    }

    /// <inheritdoc/>
    public override string Spec => $"dropout{Rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <inheritdoc/>
    protected override Shape Initialize(Shape input, Random rng)
    {
        _seed = (uint)rng.Next();
        return input;
    }

    internal override Tensor Forward(Tensor x, bool training, LayerScratch scratch)
    {
        CheckInput(x, scratch);
        // Only a training pass draws a mask (and moves the step); inference passes touch nothing of the layer.
        scratch.SavedInTraining = training && Rate > 0;
        if (!scratch.SavedInTraining) return x;
        var y = scratch.Output.Get(x.Shape);
        var mask = scratch.Extra(0).Get(x.Shape);
        scratch.Device.DropoutForward(x.Length, Rate, unchecked(_seed + 0x9E3779B9u * ++_step), x.Buffer, y.Buffer, mask.Buffer);
        scratch.Saved = mask;
        return y;
    }

    internal override Tensor? Backward(Tensor dy, bool needInputGradient, LayerScratch scratch)
    {
        if (!needInputGradient) return null;
        if (!scratch.SavedInTraining) return dy;
        var mask = scratch.Saved!;
        CheckGradient(dy, mask.Shape);
        var dx = scratch.InputGradient.Get(dy.Shape);
        scratch.Device.Multiply(dy.Length, dy.Buffer, mask.Buffer, dx.Buffer);
        return dx;
    }
}
