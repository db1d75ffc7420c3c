using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// Row-wise softmax over a flat input. When the model is trained with categorical cross-entropy, Sequential
/// skips this layer during training and uses the fused, numerically stable softmax-cross-entropy op instead.
/// </summary>
public sealed class Softmax : Layer
{
    /// <inheritdoc/>
    public override string Spec => "softmax";

    /// <inheritdoc/>
    protected override Shape Initialize(Shape input, Random rng)
    {
        if (input.Rank != 1) throw new ArgumentException($"{Describe()} needs a flat input (classes), got {input}; add Flatten or Linear before it.");
        return input;
    }

    internal override Tensor Forward(Tensor x, bool training, LayerScratch scratch)
    {
        CheckInput(x, scratch);
        var y = scratch.Output.Get(x.Shape);
        scratch.Device.SoftmaxForward(x.Shape[0], InputShape[0], x.Buffer, y.Buffer);
        scratch.Saved = y;
        return y;
    }

    internal override Tensor? Backward(Tensor dy, bool needInputGradient, LayerScratch scratch)
    {
        var y = scratch.Saved ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward.");
        CheckGradient(dy, y.Shape);
        if (!needInputGradient) return null;
        var dx = scratch.InputGradient.Get(y.Shape);
        scratch.Device.SoftmaxBackward(y.Shape[0], InputShape[0], y.Buffer, dy.Buffer, dx.Buffer);
        return dx;
    }
}
