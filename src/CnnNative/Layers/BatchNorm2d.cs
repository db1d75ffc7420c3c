using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// <see cref="BatchNorm"/> per channel of a (C, H, W) feature map, over the batch and every position (PyTorch's
/// BatchNorm2d): after a convolution.
/// </summary>
public sealed class BatchNorm2d(float eps = 1e-5f, float momentum = 0.1f) : BatchNorm(eps, momentum)
{
    /// <inheritdoc/>
    protected override bool Accepts(Shape input) => input.Rank == 3;

    /// <inheritdoc/>
    protected override string AcceptedInputs => "a (channels, height, width) input (BatchNorm1d takes (features))";
}
