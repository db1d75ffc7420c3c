using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>(N, C, H, W) → (N, C·H·W). No copy: the output is the same memory seen flat.</summary>
public sealed class Flatten : Layer
{
    private Tensor? _lastInput;
    private Tensor? _output, _inputGradient;

    public override string Spec => "flatten";

    protected override Shape Initialize(Shape input, Random rng) => new(input.Size);

    public override Tensor Forward(Tensor x, bool training)
    {
        CheckInput(x);
        _lastInput = x;
        var shape = new Shape(x.Shape[0], InputShape.Size);
        if (_output is null || !ReferenceEquals(_output.Buffer, x.Buffer) || _output.Shape != shape) _output = x.Reshape(shape);
        return _output;
    }

    public override Tensor? Backward(Tensor dy, bool needInputGradient = true)
    {
        var x = _lastInput ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward.");
        CheckGradient(dy, new Shape(x.Shape[0], InputShape.Size), Describe());
        if (!needInputGradient) return null;
        if (_inputGradient is null || !ReferenceEquals(_inputGradient.Buffer, dy.Buffer) || _inputGradient.Shape != x.Shape)
            _inputGradient = dy.Reshape(x.Shape);
        return _inputGradient;
    }
}
