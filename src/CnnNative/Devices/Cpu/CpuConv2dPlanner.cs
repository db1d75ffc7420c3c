namespace CnnNative.Devices.Cpu;

/// <summary>The cpu device's convolution algorithms (see <see cref="CpuConv2d"/>).</summary>
public enum Conv2dAlgorithm
{
    /// <summary>Lowering (im2col) + the packed GEMM, chunk by chunk: any geometry.</summary>
    Lowering,
    /// <summary>Direct convolution on wide rows of a zero-padded image (CpuConv2d.Direct.cs): stride 1.</summary>
    Direct,
    /// <summary>Implicit GEMM broadcasting from the padded image (CpuConv2d.Implicit.cs): stride 1, up to 128 filters.</summary>
    Implicit,
}

/// <summary>Which algorithm each of a convolution's three ops runs.</summary>
public readonly record struct Conv2dPlan(Conv2dAlgorithm Forward, Conv2dAlgorithm BackwardData, Conv2dAlgorithm BackwardFilter);

/// <summary>
/// Chooses the cpu device's convolution algorithms from the geometry and the paths a device allows: a pure function,
/// so tests can assert which path a shape takes. Each threshold is a measured crossover (2 threads, AVX2).
/// </summary>
public static class CpuConv2dPlanner
{
    /// <summary>Most C·R·S taps the direct and implicit paths take (their tap offsets live on the stack).</summary>
    internal const int MaxTaps = 2048;

    /// <summary>
    /// Backward filter on wide positions for C &gt; 1 too, from this many wide positions P·Wp per image. Each block
    /// of 4 filters × 3 taps ends in 12 horizontal sums, and the wide rows waste (S−1)/Wp of the work, so short
    /// images lose to lowering + GEMM (measured, 2 threads: 7×7 2.5× slower, LeNet's 10×10 outputs and 14×14 equal
    /// or slower) while 28×28 and 56×56 ones win (16 channels 5×5: 1.55× faster; 64 channels 3×3: 1.15×).
    /// </summary>
    private const int DirectFilterMinWide = 512;

    /// <summary>
    /// Forward on wide positions for a few channels too (up to <see cref="DirectForwardMaxChannels"/>), from this many
    /// wide positions per image and where the wide rows waste at most a tenth (Q ≥ 0.9·Wp: 3×3 kernels on 28×28 and
    /// larger). Measured, 2 threads: 3 channels 32×32 3×3 1.27×, 16 channels 28×28 3×3 1.35× faster than lowering +
    /// GEMM; 64 and 128 channels 4–14 % slower (a block of 24 wide positions reads C·R input rows per tap sweep, past
    /// L1 there), so those stay on GEMM.
    /// </summary>
    private const int DirectForwardMinWide = 512;

    /// <summary>Most input channels the direct forward takes for C &gt; 1.</summary>
    private const int DirectForwardMaxChannels = 16;

    /// <summary>
    /// Most filters of the implicit path: up to 128 (28×28, 128 channels 3×3) it measured equal to lowering + GEMM
    /// forward and backward data, and 1.09× faster backward filter; 16 to 64 filters equal (56×56) to 1.7× faster
    /// (LeNet's second layer). Wider layers, not measured, keep the lowering path.
    /// </summary>
    private const int ImplicitMaxFilters = 128;

    /// <summary>The algorithms of all three ops.</summary>
    public static Conv2dPlan Plan(in Conv2dGeometry g, CpuPaths allowed)
        => new(Forward(g, allowed), BackwardData(g, allowed, out _), BackwardFilter(g, allowed));

    /// <summary>Direct for one channel or a few channels on wide-enough rows; else implicit; else lowering.</summary>
    public static Conv2dAlgorithm Forward(in Conv2dGeometry g, CpuPaths allowed)
    {
        if (Allows(allowed, CpuPaths.DirectConv2d) && Stride1(g)
            && (g.C == 1 || (g.C <= DirectForwardMaxChannels && (long)g.P * PaddedWidth(g) >= DirectForwardMinWide
                             && 10 * g.Q >= 9 * PaddedWidth(g))))
            return Conv2dAlgorithm.Direct;
        return Implicit(g, allowed) ? Conv2dAlgorithm.Implicit : Conv2dAlgorithm.Lowering;
    }

    /// <summary>
    /// Implicit for same-padded stride-1 layers: their backward data is the forward convolution of dy with the
    /// filters transposed (C and K swapped) and flipped (r → R−1−r, s → S−1−s), padded by R−1−padH, S−1−padW
    /// (<paramref name="transposed"/>), the same work as the product it replaces when the layer keeps its size,
    /// otherwise more (LeNet's unpadded 5×5: twice). Else lowering.
    /// </summary>
    public static Conv2dAlgorithm BackwardData(in Conv2dGeometry g, CpuPaths allowed, out Conv2dGeometry transposed)
    {
        transposed = default;
        if (!Stride1(g) || g.PadH > g.R - 1 || g.PadW > g.S - 1 || 10L * g.H * g.W > 11L * g.P * g.Q) return Conv2dAlgorithm.Lowering;
        transposed = new Conv2dGeometry(g.N, g.K, g.P, g.Q, g.C, g.R, g.S, 1, 1, g.R - 1 - g.PadH, g.S - 1 - g.PadW);
        return transposed.P == g.H && transposed.Q == g.W && Implicit(transposed, allowed) ? Conv2dAlgorithm.Implicit : Conv2dAlgorithm.Lowering;
    }

    /// <summary>Direct for one channel; else implicit; else direct on wide-enough rows; else lowering.</summary>
    public static Conv2dAlgorithm BackwardFilter(in Conv2dGeometry g, CpuPaths allowed)
    {
        bool direct = Allows(allowed, CpuPaths.DirectConv2d) && Stride1(g);
        if (direct && g.C == 1) return Conv2dAlgorithm.Direct;
        if (Implicit(g, allowed)) return Conv2dAlgorithm.Implicit;
        return direct && g.C * g.R * g.S <= MaxTaps && (long)g.P * PaddedWidth(g) >= DirectFilterMinWide
            ? Conv2dAlgorithm.Direct : Conv2dAlgorithm.Lowering;
    }

    /// <summary>
    /// Stride 1, at most <see cref="ImplicitMaxFilters"/> filters with at most an eighth of the 16-filter panels idle
    /// (K = 16, 32, 64, 128; not K = 20 or 40, whose idle panel columns made it 9–14 % slower than lowering + GEMM),
    /// and tap offsets that fit the stack.
    /// </summary>
    private static bool Implicit(in Conv2dGeometry g, CpuPaths allowed)
    {
        int kPad = CpuGemm.RoundUp(g.K, CpuGemm.NR);
        return Allows(allowed, CpuPaths.ImplicitConv2d) && Stride1(g) && g.K <= ImplicitMaxFilters
               && 8 * (kPad - g.K) <= kPad && g.C * g.R * g.S <= MaxTaps;
    }

    private static bool Allows(CpuPaths allowed, CpuPaths path) => (allowed & path) != 0;
    private static bool Stride1(in Conv2dGeometry g) => g.StrideH == 1 && g.StrideW == 1;
    private static int PaddedWidth(in Conv2dGeometry g) => g.W + 2 * g.PadW;
}
