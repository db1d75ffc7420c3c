using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// Row-wise softmax over a flat input. When the model is trained with categorical cross-entropy, Sequential
/// skips this layer during training and uses the fused, numerically stable softmax-cross-entropy op instead.
/// </summary>
public sealed class Softmax : Layer
{
    private Workspace _output = null!, _inputGradient = null!;
    private Tensor? _lastOutput;

    public override string Spec => "softmax";

    protected override Shape Initialize(Shape input, Random rng)
    {
        if (input.Rank != 1) throw new ArgumentException($"{Describe()} needs a flat input (classes), got {input}; add Flatten or Linear before it.");
        _output = NewWorkspace();
        _inputGradient = NewWorkspace();
        return input;
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        CheckInput(x);
        var y = _output.Get(x.Shape);
        Device.SoftmaxForward(x.Shape[0], InputShape[0], x.Buffer, y.Buffer);
        _lastOutput = y;
        return y;
    }

    public override Tensor? Backward(Tensor dy, bool needInputGradient = true)
    {
        var y = _lastOutput ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward.");
        CheckGradient(dy, y.Shape, Describe());
        if (!needInputGradient) return null;
        var dx = _inputGradient.Get(y.Shape);
        Device.SoftmaxBackward(y.Shape[0], InputShape[0], y.Buffer, dy.Buffer, dx.Buffer);
        return dx;
    }
}
