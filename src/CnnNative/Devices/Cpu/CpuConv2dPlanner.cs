namespace CnnNative.Devices.Cpu;

/// <summary>The cpu device's convolution algorithms (see <see cref="CpuConv2d{TVec}"/>).</summary>
internal enum Conv2dAlgorithm
{
    /// <summary>Lowering (im2col) + the packed GEMM, chunk by chunk: any geometry.</summary>
    Lowering,
    /// <summary>
    /// Direct convolution, stride 1: the forward on dense positions of column-shifted planes (CpuConv2d.DenseDirect.cs),
    /// the backward filter on wide rows of a zero-padded image (CpuConv2d.Direct.cs).
    /// </summary>
    Direct,
    /// <summary>Implicit GEMM broadcasting from the padded image (CpuConv2d.Implicit.cs): stride 1, up to 128 filters.</summary>
    Implicit,
    /// <summary>Winograd F(2×2, 5×5) and F(4×4, 3×3) on 6×6 tiles (CpuConv2d.Winograd.cs): stride 1, square filters.</summary>
    Winograd,
    /// <summary>Backward data only: one product per tap added into the padded dx (CpuConv2d.Scatter.cs), stride 1, a few channels.</summary>
    Scatter,
}

/// <summary>Which algorithm each of a convolution's three ops runs, and at which vector width.</summary>
internal readonly record struct Conv2dPlan(Conv2dAlgorithm Forward, Conv2dAlgorithm BackwardData, Conv2dAlgorithm BackwardFilter)
{
    /// <summary>The width the forward runs at (<see cref="CpuConv2dPlanner.Width"/>).</summary>
    public CpuIsa ForwardIsa { get; init; }
    /// <summary>The width the backward data runs at.</summary>
    public CpuIsa BackwardDataIsa { get; init; }
    /// <summary>The width the backward filter runs at.</summary>
    public CpuIsa BackwardFilterIsa { get; init; }
}

/// <summary>
/// Chooses the cpu device's convolution algorithms from the geometry and the paths a device allows: a pure function,
/// so tests can assert which path a shape takes. Each threshold is a measured crossover (2 threads, AVX2).
/// </summary>
internal static class CpuConv2dPlanner
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

    /// <summary>
    /// Forward direct instead of implicit (where the implicit GEMM would take the layer at 256 bits) for a few channels
    /// (up to <see cref="DirectForwardMaxChannels"/>) of a small image too, whose C·S shifted planes take at most this
    /// many floats (in L1). Measured, 2 threads, AVX-512 machine: LeNet's second layer (6 channels 14×14 → 10×10, 16
    /// filters 5×5; planes of 4,200 floats) 1.4–1.6× faster at batch 256, 1.2× at batch 1; 8 channels 12×12 3×3 64
    /// filters 1.9×; 16 channels 8×8 or 7×7 3×3, 16 or 32 filters about equal.
    /// </summary>
    private const long DirectForwardMaxPlaneFloats = 8192;

    /// <summary>
    /// Most filters whose backward data runs as a dense direct forward (they are its input channels, up to
    /// <see cref="DirectForwardMaxChannels"/> as for the forward). Measured, 2 threads, AVX-512 machine, batch 64,
    /// against lowering + GEMM + col2im (implicit where it applied): LeNet's second layer (6 channels 14×14, 16
    /// filters 5×5, unpadded, so the direct path computes the full convolution: twice the multiply-adds) 1.30×
    /// faster, 8 channels 14×14 16 filters 3×3 same-padded 1.17×.
    /// </summary>
    private const int DirectBackwardDataMaxFilters = 16;

    /// <summary>
    /// Fewest channels (the direct forward's filters, broadcast 6 or 8 to a tile) for the direct backward data: one
    /// channel idles most of the tile (LeNet's first layer measured 1.25× slower, 8 filters 3×3 1.4× slower).
    /// </summary>
    private const int DirectBackwardDataMinChannels = 6;

    /// <summary>Most input channels the direct forward takes for C &gt; 1.</summary>
    private const int DirectForwardMaxChannels = 16;

    /// <summary>
    /// Most filters of the implicit path: up to 128 (28×28, 128 channels 3×3) it measured equal to lowering + GEMM
    /// forward and backward data, and 1.09× faster backward filter; 16 to 64 filters equal (56×56) to 1.7× faster
    /// (LeNet's second layer). Wider layers, not measured, keep the lowering path.
    /// </summary>
    private const int ImplicitMaxFilters = 128;

    /// <summary>
    /// The algorithms and widths of all three ops on a device of width <paramref name="isa"/>: each op runs at the
    /// width <see cref="Width"/> picks for its panel dimension, with the algorithm for that width (its tiles' filter
    /// panels are 16 or 32 wide).
    /// </summary>
    public static Conv2dPlan Plan(in Conv2dGeometry g, CpuPaths allowed, CpuIsa isa = CpuIsa.Auto)
    {
        CpuIsa fw = ForwardWidth(g, allowed, isa), bd = BackwardDataWidth(g, allowed, isa), bf = BackwardFilterWidth(g, allowed, isa);
        return new(Forward(g, allowed, fw), BackwardData(g, allowed, out _, bd), BackwardFilter(g, allowed, bf))
        {
            ForwardIsa = fw, BackwardDataIsa = bd, BackwardFilterIsa = bf,
        };
    }

    /// <summary>
    /// The width an op runs at on a device of width <paramref name="isa"/>, from the size of the dimension its tiles
    /// cut into panels of two vectors (filters K for forward and backward filter, channels C for backward data,
    /// columns N for a GEMM): 512-bit vectors unless their 32-wide panels would pad that dimension by a fifth more
    /// than 16-wide ones (K = 6, 16, 48 or 80 run at 256 bits; 32, 64, 96 or 128 at 512). An AVX-512 processor runs
    /// the 256-bit kernels at their full rate, so a narrow layer loses nothing by them and idles no lanes.
    /// </summary>
    public static CpuIsa Width(int panelDimension, CpuIsa isa)
    {
        var resolved = CpuProcessor.Resolve(isa);
        if (resolved != CpuIsa.Vector512) return resolved;
        return 5L * CpuGemm.RoundUp(panelDimension, 32) >= 6L * CpuGemm.RoundUp(panelDimension, 16) ? CpuIsa.Vector256 : CpuIsa.Vector512;
    }

    /// <summary>
    /// The width the forward runs at: the device's own for the direct forward, whose vectors run along output
    /// positions (the filters are broadcast, so a narrow layer idles no lanes: LeNet's 6 filters run 512 bits wide),
    /// else <see cref="Width"/> of the filters.
    /// </summary>
    public static CpuIsa ForwardWidth(in Conv2dGeometry g, CpuPaths allowed, CpuIsa isa)
        => Forward(g, allowed, isa) == Conv2dAlgorithm.Direct ? CpuProcessor.Resolve(isa) : Width(g.K, isa);

    /// <summary>
    /// The width the backward data runs at: the device's own on the direct and scatter paths (vectors along
    /// positions, the C channels broadcast), else <see cref="Width"/> of the channels.
    /// </summary>
    public static CpuIsa BackwardDataWidth(in Conv2dGeometry g, CpuPaths allowed, CpuIsa isa)
        => BackwardData(g, allowed, out _, isa) is Conv2dAlgorithm.Direct or Conv2dAlgorithm.Scatter ? CpuProcessor.Resolve(isa) : Width(g.C, isa);

    /// <summary>
    /// The width the backward filter runs at: <see cref="Width"/> of the channels on the Winograd path (its panels
    /// are channels, its rows filters), else <see cref="Width"/> of the filters, unless the path at that width is the
    /// direct one, whose vectors run along positions (the filters' rows of dy loaded): the device's own then.
    /// Measured, 2 threads, AVX-512 machine, batch 64: one channel 28×28 with 6 filters 5×5 (LeNet's first layer)
    /// 1.37–1.47× faster at 512 bits, with 16 filters 3×3 1.24–1.27×.
    /// </summary>
    public static CpuIsa BackwardFilterWidth(in Conv2dGeometry g, CpuPaths allowed, CpuIsa isa)
    {
        var algorithm = BackwardFilter(g, allowed, isa);
        if (algorithm == Conv2dAlgorithm.Winograd) return Width(g.C, isa);
        if (algorithm == Conv2dAlgorithm.Implicit && FilterHalfPanels(g, allowed, isa)) return CpuProcessor.Resolve(isa);
        var filters = Width(g.K, isa);
        return BackwardFilter(g, allowed, filters) == Conv2dAlgorithm.Direct ? CpuProcessor.Resolve(isa) : filters;
    }

    /// <summary>
    /// Whether the implicit backward filter of a 512-bit device takes panels of one vector (16 filters) for at most
    /// 16 filters (<see cref="CpuPaths.ImplicitHalfPanels"/>). Measured against the 256-bit tile, same process, 2
    /// threads, AVX-512 machine: LeNet's second layer (6 channels 14×14, 16 filters 5×5) 1.18–1.32× at batch 64 and
    /// 256, the fast recipe's (8 channels 14×14, 16 filters 3×3) 1.12–1.30×; lenet5 training 1.08×.
    /// </summary>
    internal static bool FilterHalfPanels(in Conv2dGeometry g, CpuPaths allowed, CpuIsa isa)
        => Allows(allowed, CpuPaths.ImplicitHalfPanels) && CpuProcessor.Resolve(isa) == CpuIsa.Vector512 && g.K <= 16;

    /// <summary>Filters per panel of the implicit path: two vectors of the width.</summary>
    private static int PanelWidth(CpuIsa isa) => CpuProcessor.Resolve(isa) == CpuIsa.Vector512 ? 32 : 16;

    /// <summary>Winograd where it applies; else direct for one channel or a few channels on wide-enough rows; else implicit; else lowering.</summary>
    public static Conv2dAlgorithm Forward(in Conv2dGeometry g, CpuPaths allowed, CpuIsa isa = CpuIsa.Auto)
    {
        if (Winograd(g, allowed)) return Conv2dAlgorithm.Winograd;
        if (Allows(allowed, CpuPaths.DirectConv2d) && Stride1(g)
            && (g.C == 1 || (g.C <= DirectForwardMaxChannels && (long)g.P * PaddedWidth(g) >= DirectForwardMinWide
                             && 10 * g.Q >= 9 * PaddedWidth(g))
                || (g.C <= DirectForwardMaxChannels && (long)g.C * g.S * (g.H + 2 * g.PadH) * g.Q <= DirectForwardMaxPlaneFloats
                    && Implicit(g, allowed, 16))))
            return Conv2dAlgorithm.Direct;
        return Implicit(g, allowed, PanelWidth(isa)) ? Conv2dAlgorithm.Implicit : Conv2dAlgorithm.Lowering;
    }

    /// <summary>
    /// The backward data of a stride-1 layer is the forward convolution of dy with the filters transposed (C and K
    /// swapped) and flipped (r → R−1−r, s → S−1−s), padded by R−1−padH, S−1−padW (<paramref name="transposed"/>):
    /// the same work as the product it replaces when the layer keeps its size, otherwise more (LeNet's unpadded 5×5:
    /// twice). Winograd where it applies (from two images); for a few channels and filters, the scatter (from two
    /// images, where the output is enough smaller than the input: it does the layer's own multiply-adds, not that
    /// convolution's) or else direct (the dense direct forward), at any padding; else implicit for same-padded
    /// layers; else lowering.
    /// </summary>
    public static Conv2dAlgorithm BackwardData(in Conv2dGeometry g, CpuPaths allowed, out Conv2dGeometry transposed, CpuIsa isa = CpuIsa.Auto)
    {
        transposed = default;
        if (!Stride1(g) || g.PadH > g.R - 1 || g.PadW > g.S - 1) return Conv2dAlgorithm.Lowering;
        transposed = new Conv2dGeometry(g.N, g.K, g.P, g.Q, g.C, g.R, g.S, 1, 1, g.R - 1 - g.PadH, g.S - 1 - g.PadW);
        // Winograd from two images: at batch 1 the filters' transform, computed per call, is a third of the op (convnet's
        // second layer measured 0.90–1.0× the implicit path there, 1.6–1.7× from batch 64).
        if (g.N >= 2 && Winograd(transposed, allowed) && transposed.P == g.H && transposed.Q == g.W) return Conv2dAlgorithm.Winograd;
        if (g.K <= DirectBackwardDataMaxFilters && g.C >= DirectBackwardDataMinChannels && g.C <= DirectForwardMaxChannels
            && g.K * g.R * g.S <= MaxTaps)
        {
            if (g.N >= 2 && Allows(allowed, CpuPaths.ScatterBackwardData) && ScatterSaves(g)) return Conv2dAlgorithm.Scatter;
            if (Allows(allowed, CpuPaths.DirectBackwardData) && Allows(allowed, CpuPaths.DirectConv2d)) return Conv2dAlgorithm.Direct;
        }
        if (10L * g.H * g.W > 11L * g.P * g.Q) return Conv2dAlgorithm.Lowering;
        return transposed.P == g.H && transposed.Q == g.W && Implicit(transposed, allowed, PanelWidth(isa)) ? Conv2dAlgorithm.Implicit : Conv2dAlgorithm.Lowering;
    }

    /// <summary>
    /// Whether the scatter backward data (positions P × Wp: dy on rows as wide as the padded input) has at most
    /// <see cref="ScatterMaxWork"/> of the direct path's positions (the input's H × W, each from all R·S taps).
    /// </summary>
    private static bool ScatterSaves(in Conv2dGeometry g) => (long)g.P * (g.W + 2 * g.PadW) <= ScatterMaxWork * g.H * g.W;

    /// <summary>
    /// Measured against the direct path, same process, 2 threads, AVX-512 machine (AVX-512 off), batch 64: LeNet's
    /// second layer (6 channels 14×14, 16 filters 5×5, unpadded: 140 wide positions for 196) 1.85× (1.65×) faster;
    /// 12 channels 9×9 3×3 unpadded (63 for 81) 1.0×; 6 channels 32×32 5×5 unpadded (896 for 1024) 1.07× (1.06×);
    /// same-padded layers slower: 8 channels 12×12 3×3 and 6 channels 28×28 5×5 0.85× (0.83–0.85×), 8 channels
    /// 14×14 3×3 1.0–1.08×.
    /// </summary>
    private const double ScatterMaxWork = 0.8;

    /// <summary>
    /// Winograd where it applies, for at least <see cref="WinogradFilterMinPositions"/> output positions and unless its
    /// channel panels would run at 256 bits where the filters' run at 512 (measured, 2 threads, AVX-512 machine: 16
    /// channels 5×5 on 8×8 outputs with 32 filters 0.64× the implicit path's speed; 4×4 outputs 0.87×; 8×8 ties;
    /// convnet's second layer 1.5×, 56×56 64 channels 3×3 1.6×; with AVX-512 off 1.07–2.1× on every shape);
    /// else direct for one channel; else implicit; else direct on wide-enough rows; else lowering.
    /// </summary>
    public static Conv2dAlgorithm BackwardFilter(in Conv2dGeometry g, CpuPaths allowed, CpuIsa isa = CpuIsa.Auto)
    {
        if (Winograd(g, allowed) && (long)g.P * g.Q >= WinogradFilterMinPositions
            && !(Width(g.C, isa) == CpuIsa.Vector256 && Width(g.K, isa) == CpuIsa.Vector512))
            return Conv2dAlgorithm.Winograd;
        bool direct = Allows(allowed, CpuPaths.DirectConv2d) && Stride1(g);
        if (direct && g.C == 1) return Conv2dAlgorithm.Direct;
        if (Implicit(g, allowed, FilterHalfPanels(g, allowed, isa) ? 16 : PanelWidth(isa))) return Conv2dAlgorithm.Implicit;
        return direct && g.C * g.R * g.S <= MaxTaps && (long)g.P * PaddedWidth(g) >= DirectFilterMinWide
            ? Conv2dAlgorithm.Direct : Conv2dAlgorithm.Lowering;
    }

    /// <summary>
    /// Stride 1, at most <see cref="ImplicitMaxFilters"/> filters with at most an eighth of the filter panels (16 or
    /// 32 wide) idle (K = 16, 32, 64, 128 at 16; not K = 20 or 40, whose idle panel columns made it 9–14 % slower
    /// than lowering + GEMM), and tap offsets that fit the stack.
    /// </summary>
    private static bool Implicit(in Conv2dGeometry g, CpuPaths allowed, int panel)
    {
        int kPad = CpuGemm.RoundUp(g.K, panel);
        return Allows(allowed, CpuPaths.ImplicitConv2d) && Stride1(g) && g.K <= ImplicitMaxFilters
               && 8 * (kPad - g.K) <= kPad && g.C * g.R * g.S <= MaxTaps;
    }

    /// <summary>Fewest channels of the Winograd path: its input transform and GEMM run on vectors of channels.</summary>
    private const int WinogradMinChannels = 16;

    /// <summary>Fewest output positions per image of the Winograd backward filter (its tiles are summed over them).</summary>
    private const int WinogradFilterMinPositions = 64;

    /// <summary>Fewest filters of the Winograd path: its GEMM and output transform run on vectors of filters.</summary>
    private const int WinogradMinFilters = 16;

    /// <summary>
    /// Winograd for stride-1 layers with square 5×5 or 3×3 filters, at least <see cref="WinogradMinChannels"/>
    /// channels and <see cref="WinogradMinFilters"/> filters, and outputs of at least two tiles a side. Measured
    /// against the paths it replaces (same process, 2 threads, AVX-512 machine): forward 1.1× (8×8 outputs, 32
    /// channels) to 2.4× (56×56, 64 channels 3×3) faster, convnet's second layer 1.85×; backward data 1.0× to 2.2×
    /// (taken from batch 2, see <see cref="BackwardData"/>); with AVX-512 off 1.3× to 2.4×.
    /// </summary>
    public static bool Winograd(in Conv2dGeometry g, CpuPaths allowed)
    {
        if (!Allows(allowed, CpuPaths.WinogradConv2d) || !Stride1(g) || g.R != g.S || (g.R != 5 && g.R != 3)) return false;
        int m = 6 - g.R + 1; // outputs per tile side: a 6×6 input tile is m + R − 1 wide
        return g.C >= WinogradMinChannels && g.K >= WinogradMinFilters && g.P >= 2 * m && g.Q >= 2 * m;
    }

    private static bool Allows(CpuPaths allowed, CpuPaths path) => (allowed & path) != 0;
    private static bool Stride1(in Conv2dGeometry g) => g.StrideH == 1 && g.StrideW == 1;
    private static int PaddedWidth(in Conv2dGeometry g) => g.W + 2 * g.PadW;
}
