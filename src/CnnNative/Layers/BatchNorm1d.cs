using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// <see cref="BatchNorm"/> per feature of a (features) input, over the batch (PyTorch's BatchNorm1d on (N, features)):
/// after a dense layer.
/// </summary>
public sealed class BatchNorm1d(float eps = 1e-5f, float momentum = 0.1f) : BatchNorm(eps, momentum)
{
    /// <inheritdoc/>
    protected override bool Accepts(Shape input) => input.Rank == 1;

    /// <inheritdoc/>
    protected override string AcceptedInputs => "a (features) input (BatchNorm2d takes (channels, height, width))";
}
