using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// The mean of each channel's whole feature map: (C, H, W) → (C), as Keras' GlobalAveragePooling2D (PyTorch's
/// AdaptiveAvgPool2d(1) followed by a flatten), so a classifier head can follow directly.
/// </summary>
/// <remarks>
/// It runs as the pool2d op with one H×W window a plane, which is exactly this mean on every device (the window's
/// sum, in double on the host devices, divided by H·W), so it needs no op of its own.
/// </remarks>
public sealed class GlobalAvgPool2d() : PoolingLayer(PoolMode.Average)
{
    /// <inheritdoc/>
    public override string Spec => "gap";

    /// <summary>Named after its spec token: gap_1, gap_2, ...</summary>
    public override string NamePrefix => "gap";

    /// <inheritdoc/>
    protected override Pool2dGeometry Window(Shape input) => new(1, input[0], input[1], input[2], input[1], input[2], 1, 1);

    /// <inheritdoc/>
    protected override Shape OutputShapeOf(in Pool2dGeometry g) => new(g.C);
}
