namespace CnnNative.Devices;

/// <summary>
/// Sizes of one 2-D convolution, in the letters the literature uses:
/// input x (N, C, H, W), filters w (K, C, R, S), bias (K), output y (N, K, P, Q) with
/// P = floor((H - R + 2·PadH) / StrideH) + 1 and Q = floor((W - S + 2·PadW) / StrideW) + 1.
/// </summary>
public readonly record struct Conv2dGeometry
{
    /// <summary>Batch size: images in x and y.</summary>
    public int N { get; }
    /// <summary>Input channels (each filter's depth).</summary>
    public int C { get; }
    /// <summary>Input height.</summary>
    public int H { get; }
    /// <summary>Input width.</summary>
    public int W { get; }
    /// <summary>Filters: output channels.</summary>
    public int K { get; }
    /// <summary>Filter height.</summary>
    public int R { get; }
    /// <summary>Filter width.</summary>
    public int S { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideW { get; }
    /// <summary>Rows of zeros added above and below the input.</summary>
    public int PadH { get; }
    /// <summary>Columns of zeros added left and right of the input.</summary>
    public int PadW { get; }
    /// <summary>Output height, from the formula above.</summary>
    public int P { get; }
    /// <summary>Output width, from the formula above.</summary>
    public int Q { get; }

    /// <summary>Checks the sizes and works out the output side P×Q.</summary>
    /// <exception cref="ArgumentException">A size, filter count, kernel side or stride is not positive, a padding is
    /// negative, or the kernel does not fit the padded input (P or Q would be 0 or less).</exception>
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

    /// <summary>Elements of x: N·C·H·W.</summary>
    public int InputLength => N * C * H * W;
    /// <summary>Elements of w: K·C·R·S.</summary>
    public int FilterLength => K * C * R * S;
    /// <summary>Elements of y: N·K·P·Q.</summary>
    public int OutputLength => N * K * P * Q;

    /// <summary>Multiply-adds ×2 of the forward pass, padding taps included (2·N·K·C·R·S·P·Q).</summary>
    public double Flops => 2.0 * N * K * C * R * S * P * Q;

    /// <summary>The same convolution over a batch of <paramref name="n"/> images.</summary>
    public Conv2dGeometry WithBatch(int n) => new(n, C, H, W, K, R, S, StrideH, StrideW, PadH, PadW);

    /// <summary>Every size on one line, for messages and logs.</summary>
    public override string ToString()
        => $"N={N},C={C},H={H},W={W},K={K},R={R},S={S},pad={PadH}x{PadW},stride={StrideH}x{StrideW}";
}
