using CnnNative.Devices;

namespace CnnNative.Diagnostics;

/// <summary>
/// The shapes every benchmark (BenchmarkDotNet and `cnn bench`) measures, the same as the libtorch anchors in
/// shared/peers/ANCHORS.md so that ratios are like for like.
/// </summary>
internal static class BenchShapes
{
    /// <summary>The four convolution shapes: the two convnet layers at batch 64, and two 3x3 ResNet-style layers.</summary>
    public static IReadOnlyList<Conv2dGeometry> Convolutions { get; } =
    [
        new(64, 1, 28, 28, 32, 5, 5, 1, 1, 2, 2),
        new(64, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2),
        new(32, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1),
        new(8, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1),
    ];

    /// <summary>Max/average pooling 2x2 stride 2 on (64, 32, 28, 28), libtorch's anchor.</summary>
    public static Pool2dGeometry Pool { get; } = new(64, 32, 28, 28, 2, 2, 2, 2);

    /// <summary>Batch normalization (n, channels, spatial) on the pooling anchor's (64, 32, 28, 28) feature map.</summary>
    public static (int n, int channels, int spatial) BatchNorm { get; } = (64, 32, 28 * 28);

    /// <summary>GEMM (m, n, k): square, and the skinny shapes of convnet's dense layer at batch 64.</summary>
    public static IReadOnlyList<(int m, int n, int k)> Gemms { get; } = [(1024, 1024, 1024), (64, 1024, 3136), (1024, 3136, 64)];

    /// <summary>Softmax cross-entropy rows × classes.</summary>
    public static (int rows, int cols) SoftmaxCrossEntropy { get; } = (1024, 10);

    public static string Describe(in Conv2dGeometry g)
        => $"N={g.N},C={g.C},H={g.H},W={g.W},K={g.K},R={g.R},S={g.S},pad={g.PadH},stride={g.StrideH}";

    public static string Describe(in Pool2dGeometry g)
        => $"N={g.N},C={g.C},H={g.H},W={g.W},window={g.R}x{g.S},stride={g.StrideH}";
}
