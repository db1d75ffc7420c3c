namespace CnnNative.Devices;

/// <summary>Whether a pooling window keeps its largest value or its mean.</summary>
public enum PoolMode { Max, Average }

/// <summary>
/// Sizes of one 2-D pooling: input (N, C, H, W), window R×S, stride, output (N, C, P, Q).
/// Windows never cross the input's edge (no padding), as in Keras' "valid" pooling.
/// Average pooling divides by the full window size R·S.
/// </summary>
public readonly record struct Pool2dGeometry
{
    public int N { get; }
    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int R { get; }
    public int S { get; }
    public int StrideH { get; }
    public int StrideW { get; }
    public int P { get; }
    public int Q { get; }

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

    public int InputLength => N * C * H * W;
    public int OutputLength => N * C * P * Q;

    public Pool2dGeometry WithBatch(int n) => new(n, C, H, W, R, S, StrideH, StrideW);

    public override string ToString() => $"N={N},C={C},H={H},W={W},window={R}x{S},stride={StrideH}x{StrideW}";
}
