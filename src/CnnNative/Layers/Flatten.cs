using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>(N, C, H, W) → (N, C·H·W). No copy: the output is the same memory seen flat.</summary>
public sealed class Flatten : Layer
{
    /// <inheritdoc/>
    public override string Spec => "flatten";

    /// <inheritdoc/>
    protected override Shape Initialize(Shape input, Random rng) => new(input.Size);

    internal override Tensor Forward(Tensor x, bool training, LayerScratch scratch)
    {
        CheckInput(x, scratch);
        scratch.Saved = x;
        return scratch.OutputView(x, new Shape(x.Shape[0], InputShape.Size));
    }

    internal override Tensor? Backward(Tensor dy, bool needInputGradient, LayerScratch scratch)
    {
        var x = scratch.Saved ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward.");
        CheckGradient(dy, new Shape(x.Shape[0], InputShape.Size));
        if (!needInputGradient) return null;
        return scratch.InputGradientView(dy, x.Shape);
    }
}
