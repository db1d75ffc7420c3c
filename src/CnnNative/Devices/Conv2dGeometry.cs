namespace CnnNative.Devices;

/// <summary>
/// Sizes of one 2-D convolution, in the letters the literature uses:
/// input x (N, C, H, W), filters w (K, C, R, S), bias (K), output y (N, K, P, Q) with
/// P = floor((H - R + 2·PadH) / StrideH) + 1 and Q = floor((W - S + 2·PadW) / StrideW) + 1.
/// </summary>
public readonly record struct Conv2dGeometry
{
    public int N { get; }
    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int K { get; }
    public int R { get; }
    public int S { get; }
    public int StrideH { get; }
    public int StrideW { get; }
    public int PadH { get; }
    public int PadW { get; }
    public int P { get; }
    public int Q { get; }

    public Conv2dGeometry(int n, int c, int h, int w, int k, int r, int s,
                          int strideH = 1, int strideW = 1, int padH = 0, int padW = 0)
    {
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0)
            throw new ArgumentException($"Conv2d input (N={n}, C={c}, H={h}, W={w}) must have positive sizes.");
        if (k <= 0 || r <= 0 || s <= 0)
            throw new ArgumentException($"Conv2d needs a positive filter count and kernel size, got K={k}, kernel {r}x{s}.");
        if (strideH <= 0 || strideW <= 0)
            throw new ArgumentException($"Conv2d stride must be positive, got {strideH}x{strideW}.");
        if (padH < 0 || padW < 0)
            throw new ArgumentException($"Conv2d padding must be non-negative, got {padH}x{padW}.");
        int p = OutputSize(h, r, strideH, padH), q = OutputSize(w, s, strideW, padW);
        if (p <= 0 || q <= 0)
            throw new ArgumentException($"Conv2d kernel {r}x{s} with padding {padH}x{padW} does not fit the {h}x{w} input (output would be {p}x{q}).");
        (N, C, H, W, K, R, S, StrideH, StrideW, PadH, PadW, P, Q) = (n, c, h, w, k, r, s, strideH, strideW, padH, padW, p, q);
    }

    /// <summary>floor((size − kernel + 2·pad) / stride) + 1, the workshop's formula.</summary>
    public static int OutputSize(int size, int kernel, int stride, int pad)
    {
        int span = size - kernel + 2 * pad;
        return span < 0 ? 0 : span / stride + 1;
    }

    public int InputLength => N * C * H * W;
    public int FilterLength => K * C * R * S;
    public int OutputLength => N * K * P * Q;

    /// <summary>Multiply-adds ×2 of the forward pass, padding taps included (2·N·K·C·R·S·P·Q).</summary>
    public double Flops => 2.0 * N * K * C * R * S * P * Q;

    public Conv2dGeometry WithBatch(int n) => new(n, C, H, W, K, R, S, StrideH, StrideW, PadH, PadW);

    public override string ToString()
        => $"N={N},C={C},H={H},W={W},K={K},R={R},S={S},pad={PadH}x{PadW},stride={StrideH}x{StrideW}";
}
