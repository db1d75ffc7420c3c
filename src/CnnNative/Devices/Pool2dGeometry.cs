namespace CnnNative.Devices;

/// <summary>Whether a pooling window keeps its largest value or its mean.</summary>
public enum PoolMode
{
    /// <summary>The window's largest value.</summary>
    Max,
    /// <summary>The mean of the window's R·S values.</summary>
    Average,
}

/// <summary>
/// Sizes of one 2-D pooling: input (N, C, H, W), window R×S, stride, output (N, C, P, Q).
/// Windows never cross the input's edge (no padding), as in Keras' "valid" pooling.
/// Average pooling divides by the full window size R·S.
/// </summary>
public readonly record struct Pool2dGeometry
{
    /// <summary>Batch size: images in the input and output.</summary>
    public int N { get; }
    /// <summary>Channels, the same in the input and output.</summary>
    public int C { get; }
    /// <summary>Input height.</summary>
    public int H { get; }
    /// <summary>Input width.</summary>
    public int W { get; }
    /// <summary>Window height.</summary>
    public int R { get; }
    /// <summary>Window width.</summary>
    public int S { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideW { get; }
    /// <summary>Output height: floor((H − R) / StrideH) + 1.</summary>
    public int P { get; }
    /// <summary>Output width: floor((W − S) / StrideW) + 1.</summary>
    public int Q { get; }

    /// <summary>Checks the sizes and works out the output side P×Q.</summary>
    /// <exception cref="ArgumentException">A size, window side or stride is not positive, or the window is larger than the input.</exception>
    public Pool2dGeometry(int n, int c, int h, int w, int r, int s, int strideH, int strideW)
    {
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0)
            throw new ArgumentException($"Pool2d input (N={n}, C={c}, H={h}, W={w}) must have positive sizes.");
        if (r <= 0 || s <= 0) throw new ArgumentException($"Pool2d window must be positive, got {r}x{s}.");
        if (strideH <= 0 || strideW <= 0) throw new ArgumentException($"Pool2d stride must be positive, got {strideH}x{strideW}.");
        if (r > h || s > w) throw new ArgumentException($"Pool2d window {r}x{s} is larger than the {h}x{w} input.");
        (N, C, H, W, R, S, StrideH, StrideW) = (n, c, h, w, r, s, strideH, strideW);
        P = (h - r) / strideH + 1;
        Q = (w - s) / strideW + 1;
    }

    /// <summary>Elements of the input: N·C·H·W.</summary>
    public int InputLength => N * C * H * W;
    /// <summary>Elements of the output: N·C·P·Q.</summary>
    public int OutputLength => N * C * P * Q;

    /// <summary>The same pooling over a batch of <paramref name="n"/> images.</summary>
    public Pool2dGeometry WithBatch(int n) => new(n, C, H, W, R, S, StrideH, StrideW);

    /// <summary>Every size on one line, for messages and logs.</summary>
    public override string ToString() => $"N={N},C={C},H={H},W={W},window={R}x{S},stride={StrideH}x{StrideW}";
}
