using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>An element-wise nonlinearity; the backward pass reads the forward output.</summary>
public abstract class ActivationLayer(Activation function) : Layer
{
    /// <summary>The element-wise function applied.</summary>
    public Activation Function { get; } = function;

    /// <summary>
    /// Whether the layer before applies this activation in its own forward (<see cref="Layer.TryFuse"/>): forward
    /// then returns its input, which already is f(…); backward still computes dx from that output.
    /// </summary>
    internal bool FusedIntoPrevious { get; set; }

    /// <summary>
    /// Whether the pooling layer after this one applies this activation's gradient in its own backward
    /// (<see cref="PoolingLayer.TryFuseGradientOf"/>): backward then returns the gradient it is given, which already
    /// is dL/dx.
    /// </summary>
    internal bool GradientFusedIntoNext { get; set; }

    /// <summary>
    /// Whether the layer two before (a convolution or dense layer folding the normalization between) applies this
    /// activation too in a model's inference passes (<see cref="Layer.TryFoldActivationAfterNorm"/>): Forward there
    /// returns its input.
    /// </summary>
    internal bool FoldedAfterNorm { get; set; }

    /// <inheritdoc/>
    public override string Spec => Function.ToString().ToLowerInvariant();

    /// <inheritdoc/>
    protected override Shape Initialize(Shape input, Random rng) => input;

    internal override Tensor Forward(Tensor x, bool training, LayerScratch scratch)
    {
        CheckInput(x, scratch);
        if (FusedIntoPrevious || (!training && scratch.FoldsNorms && FoldedAfterNorm))
        {
            scratch.Saved = x;
            return x;
        }
        var y = scratch.Output.Get(x.Shape);
        scratch.Device.ActivationForward(Function, x.Length, x.Buffer, y.Buffer);
        scratch.Saved = y;
        return y;
    }

    internal override Tensor? Backward(Tensor dy, bool needInputGradient, LayerScratch scratch)
    {
        var y = scratch.Saved ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward.");
        CheckGradient(dy, y.Shape);
        if (!needInputGradient) return null;
        if (GradientFusedIntoNext) return dy;
        var dx = scratch.InputGradient.Get(y.Shape);
        scratch.Device.ActivationBackward(Function, y.Length, y.Buffer, dy.Buffer, dx.Buffer);
        return dx;
    }
}

/// <summary>max(0, x).</summary>
public sealed class ReLU() : ActivationLayer(Activation.ReLU);

/// <summary>1 / (1 + e^−x).</summary>
public sealed class Sigmoid() : ActivationLayer(Activation.Sigmoid);

/// <summary>tanh(x).</summary>
public sealed class Tanh() : ActivationLayer(Activation.Tanh);
