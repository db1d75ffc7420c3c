using CnnNative.Devices;
using CnnNative.Devices.Cpu;
using CnnNative.Devices.Reference;
using static CnnNative.Tests.Devices.DeviceTestSupport;

namespace CnnNative.Tests.Devices.Cpu;

/// <summary>
/// The cpu device's convolution against the reference on shapes that reach every path: C = 1, C and K off the
/// 6/8/16 multiples, C·R·S across KC = 256, strides, padding, rectangular kernels, batch 1 (work split inside one
/// image), batches smaller/larger than the thread count, and one thread vs two giving identical bits. Each case
/// names the path it is for, runs on a device allowed to take it, and asserts that the planner really picks it.
/// </summary>
[Category(Conformance.TestDevices.CpuCategory)]
internal class CpuConvolutionTests
{
    private const Conv2dAlgorithm Lowering = Conv2dAlgorithm.Lowering, Direct = Conv2dAlgorithm.Direct, Implicit = Conv2dAlgorithm.Implicit,
                                  Winograd = Conv2dAlgorithm.Winograd, Scatter = Conv2dAlgorithm.Scatter;

    /// <summary>
    /// Every path but Winograd's: the default of the cases for the direct, implicit and lowering paths, many of whose
    /// shapes (stride 1, 3×3 or 5×5, 16 channels and filters or more) Winograd would take.
    /// </summary>
    private const CpuPaths NoWinograd = CpuPaths.All & ~CpuPaths.WinogradConv2d;

    /// <summary>Every path but lowering left out: for the cases that exercise the lowering on shapes the faster paths would take.</summary>
    private const CpuPaths LoweringOnly = NoWinograd & ~(CpuPaths.DirectConv2d | CpuPaths.ImplicitConv2d);

    /// <summary>Every path but the direct one: for the implicit cases on small images the direct forward would take.</summary>
    private const CpuPaths NoDirect = NoWinograd & ~CpuPaths.DirectConv2d;

    /// <summary>The direct backward filter on wide rows (dy copied per image) rather than on dense positions.</summary>
    private const CpuPaths WideRowFilter = NoWinograd & ~CpuPaths.DenseDirectFilter;

    /// <summary>Every path but the direct backward data: for the lowering and implicit backward data on shapes it would take.</summary>
    private const CpuPaths NoDirectData = NoWinograd & ~CpuPaths.DirectBackwardData;

    /// <summary>Every path but Winograd and the scatter backward data: for the direct backward data on shapes the scatter would take.</summary>
    private const CpuPaths NoScatter = NoWinograd & ~CpuPaths.ScatterBackwardData;

    /// <summary>
    /// A shape, the paths its device may take, the vector width (Width: the case's own; null: it runs at both widths),
    /// and the algorithms its name promises (null: not the point of the case).
    /// <see cref="ThePlanTakesThePathTheCaseIsNamedFor"/> holds every case to its name.
    /// </summary>
    public sealed record ConvCase(string Name, Conv2dGeometry G, Conv2dAlgorithm? Forward = null, Conv2dAlgorithm? Data = null,
                                  Conv2dAlgorithm? Filter = null, CpuPaths Paths = NoWinograd, CpuIsa? Width = null)
    {
        public override string ToString() => Width is { } w ? $"{Name} [{w}]" : Name;
        public CpuDevice Device(int threads) => new(new CpuDeviceOptions { Threads = threads, Paths = Paths, Isa = Width ?? CpuIsa.Auto });
    }

    /// <summary>
    /// Every case at both vector widths (the 512-bit kernels run in software where the processor lacks AVX-512), except
    /// those whose path depends on the filter panel's width (16 or 32), which name their width.
    /// </summary>
    public static IEnumerable<ConvCase> Cases()
        => BaseCases().SelectMany(c => c.Width is null ? [c with { Width = CpuIsa.Vector256 }, c with { Width = CpuIsa.Vector512 }] : new[] { c });

    private const CpuIsa V256 = CpuIsa.Vector256, V512 = CpuIsa.Vector512;

    private static IEnumerable<ConvCase> BaseCases() =>
    [
        new("mono 5x5 pad 2", new(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2), Direct, Filter: Direct),
        new("rgb 3x3 stride 2 pad 1", new(3, 3, 17, 19, 5, 3, 3, 2, 2, 1, 1), Lowering, Lowering, Lowering),
        new("rectangular kernel, stride and padding", new(2, 10, 13, 11, 17, 3, 5, 2, 1, 1, 2), Lowering, Lowering, Lowering),
        new("lowering: batch 1 split inside the image", new(1, 16, 20, 20, 32, 3, 3, 1, 1, 1, 1), Lowering, Lowering, Lowering, LoweringOnly),
        new("lowering: CRS across the k block (270)", new(2, 30, 9, 9, 7, 3, 3, 1, 1, 1, 1), Lowering, Filter: Lowering),
        new("lowering: CRS across two k blocks, batch 1", new(1, 61, 12, 12, 40, 3, 3, 1, 1, 0, 0), Lowering, Lowering, Lowering),
        new("1x1 convolution", new(4, 9, 7, 7, 13, 1, 1), Lowering, Lowering, Lowering, NoDirectData),
        new("kernel as large as the input", new(2, 3, 5, 5, 4, 5, 5), Lowering, Lowering, Lowering),
        new("stride 3 with padding wider than the stride", new(2, 2, 10, 10, 3, 4, 4, 3, 3, 4, 4), Lowering, Lowering, Lowering),
        new("single output channel", new(5, 4, 8, 6, 1, 3, 3, 1, 1, 1, 1), Lowering, Lowering, Lowering),
        new("many images, few channels", new(9, 2, 6, 6, 3, 3, 3, 1, 2, 1, 0), Lowering, Lowering, Lowering),
        new("stride-1 lowering from a padded slice, 5x5 pad 2", new(3, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2), Lowering, Lowering, Lowering, LoweringOnly),
        new("padded-slice lowering, chunks starting mid-row", new(1, 64, 29, 29, 8, 3, 3, 1, 1, 1, 1), Lowering),
        new("padded-slice lowering, rectangular kernel, uneven padding", new(2, 9, 11, 8, 5, 3, 2, 1, 1, 0, 1), Lowering, Lowering, Lowering, NoDirectData),
        new("padded-slice lowering, batch 1, odd sizes", new(1, 13, 7, 9, 11, 3, 3, 1, 1, 1, 1), Lowering, Lowering, Lowering, NoDirectData),
        new("padding as wide as the kernel: all-zero slice rows", new(2, 8, 6, 6, 4, 2, 2, 1, 1, 2, 2), Lowering, Lowering, Lowering),
        new("direct C=1: convnet's first layer, K not a multiple of 16", new(5, 1, 28, 28, 20, 5, 5, 1, 1, 2, 2), Direct, Filter: Direct),
        new("direct C=1: batch 1, K past one task (37)", new(1, 1, 13, 11, 37, 5, 5, 1, 1, 2, 2), Direct, Filter: Direct),
        new("direct C=1: odd sizes, no padding, K = 3", new(3, 1, 9, 7, 3, 3, 3), Direct, Filter: Direct),
        new("direct C=1: rectangular kernel, uneven padding", new(2, 1, 10, 15, 7, 2, 5, 1, 1, 1, 0), Direct, Filter: Direct),
        new("direct C=1: output narrower than a vector, padding wider than the kernel", new(4, 1, 3, 2, 6, 2, 3, 1, 1, 3, 2), Direct, Filter: Direct),
        new("direct C=1: 1x1 kernel", new(2, 1, 6, 5, 9, 1, 1), Direct, Filter: Direct),
        new("C=1 stride 2 (lowering path)", new(2, 1, 11, 12, 5, 3, 3, 2, 2, 1, 1), Lowering, Lowering, Lowering),
        new("batch 1 forward in two chunks, stride 2 (lowering from x)", new(1, 5, 15, 13, 7, 3, 3, 2, 2, 1, 1), Lowering),
        new("batch 1 forward, fewer outputs than one vector pair", new(1, 4, 3, 3, 5, 3, 3, 1, 1, 1, 1), Lowering),
        new("lowering: batch 1 forward in two chunks, convnet's second layer", new(1, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2), Lowering, Paths: LoweringOnly),
        new("backward filter from a padded slice: images on slots, chunks mid-row", new(5, 20, 23, 23, 9, 3, 3, 1, 1, 1, 1), Filter: Lowering, Paths: LoweringOnly),
        new("backward filter from a padded slice: rectangular kernel, uneven padding", new(4, 3, 9, 13, 10, 4, 2, 1, 1, 2, 0), Filter: Lowering),
        new("backward filter from a padded slice below the direct threshold: chunks mid-row", new(5, 20, 18, 18, 9, 3, 3, 1, 1, 1, 1), Filter: Lowering),
        new("backward filter with edge tests per row (no padded slice)", new(5, 20, 18, 18, 9, 3, 3, 1, 1, 1, 1), Filter: Lowering,
            Paths: LoweringOnly & ~CpuPaths.LowerFromPaddedSlice),
        new("direct backward filter, C > 1: batch 1, taps not a multiple of 3", new(1, 2, 24, 24, 5, 5, 5, 1, 1, 2, 2), Filter: Direct),
        new("direct forward and backward filter, C > 1: rectangular kernel, uneven padding", new(3, 7, 30, 21, 6, 3, 2, 1, 1, 1, 0), Direct, Filter: Direct),
        new("direct forward, C = 3: K not a multiple of 4", new(2, 3, 30, 30, 5, 3, 3, 1, 1, 1, 1), Direct),
        new("implicit forward: taps across k blocks (270), positions not a multiple of 6, K = 30", new(3, 30, 9, 11, 30, 3, 3, 1, 1, 1, 1), Implicit),
        new("implicit forward: LeNet's second layer, no padding", new(4, 6, 14, 14, 16, 5, 5), Implicit, Width: V256, Paths: NoDirect),
        new("16 filters at Vector512: the 256-bit implicit tile (a 32-wide panel would idle half)", new(4, 6, 14, 14, 16, 5, 5), Implicit, Width: V512,
            Paths: NoDirect),
        new("direct forward, C = 6: LeNet's second layer (small planes), batch 1", new(1, 6, 14, 14, 16, 5, 5), Direct),
        new("direct forward, C = 5: small planes, fewer positions than a vector, uneven padding", new(3, 5, 3, 4, 14, 3, 2, 1, 1, 0, 1), Direct),
        new("implicit backward data (flipped filters): rectangular kernel, same padding", new(2, 16, 9, 13, 8, 3, 5, 1, 1, 1, 2), Data: Implicit, Width: V256, Paths: NoDirectData),
        new("implicit backward data: 30 channels in 32-wide panels, taps across k blocks (360)", new(3, 30, 11, 10, 40, 3, 3, 1, 1, 1, 1), Data: Implicit),
        new("implicit backward filter: positions across k blocks (400), taps not a multiple of 6", new(2, 3, 20, 20, 16, 3, 3, 1, 1, 1, 1), Filter: Implicit, Width: V256),
        new("implicit backward filter: batch 1, K = 15 (one idle filter), uneven padding", new(1, 4, 17, 15, 15, 3, 3, 1, 1, 0, 1), Filter: Implicit, Width: V256),
        new("implicit backward filter, 8 taps × one vector of 16 filters at 512 bits: LeNet's second layer", new(4, 6, 14, 14, 16, 5, 5),
            Filter: Implicit, Width: V512),
        new("implicit backward filter, one-vector panels: K = 15, taps not a multiple of 8 (36)", new(3, 4, 11, 9, 15, 3, 3, 1, 1, 1, 1),
            Filter: Implicit, Width: V512),
        new("implicit backward filter, one-vector panels: batch 1, K = 14, rectangular kernel, uneven padding", new(1, 5, 9, 13, 14, 3, 2, 1, 1, 0, 1),
            Filter: Implicit, Width: V512),
        new("implicit, 14 × 32 tiles: convnet's second layer, one output row per tile", new(2, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2), Implicit, Implicit, Implicit, Width: V512),
        new("implicit, 14 × 32 tiles: backward filter across k blocks (400), taps not a multiple of 14", new(2, 3, 20, 20, 32, 3, 3, 1, 1, 1, 1), Filter: Implicit, Width: V512),
        new("implicit, 14 × 32 tiles: batch 1, K = 31 (one idle filter), uneven padding", new(1, 4, 17, 15, 31, 3, 3, 1, 1, 0, 1), Filter: Implicit, Width: V512),
        new("implicit, 14 × 32 tiles: K = 60, positions not a multiple of 14, backward data of 30 channels", new(3, 30, 9, 11, 60, 3, 3, 1, 1, 1, 1), Implicit, Implicit, Width: V512),
        new("direct backward data: LeNet's second layer, unpadded (the full convolution of dy)", new(4, 6, 14, 14, 16, 5, 5), Data: Direct, Paths: NoScatter),
        new("scatter backward data: LeNet's second layer", new(4, 6, 14, 14, 16, 5, 5), Data: Scatter),
        new("scatter backward data: 13 channels (a padded block), 10 filters, 5 images, 3x3", new(5, 13, 9, 9, 10, 3, 3), Data: Scatter),
        new("scatter backward data: rectangular kernel, 7 channels, 5 filters, odd sizes", new(3, 7, 11, 13, 5, 5, 5), Data: Scatter),
        new("scatter backward data: uneven padding, 9 channels, 16 filters", new(2, 9, 12, 10, 16, 5, 5, 1, 1, 0, 1), Data: Scatter),
        new("scatter backward data: 16 channels (two or four blocks), 2 images", new(2, 16, 12, 12, 16, 5, 5), Data: Scatter),
        new("no scatter backward data at batch 1: LeNet's second layer", new(1, 6, 14, 14, 16, 5, 5), Data: Direct),
        new("no scatter backward data for a same-padded layer", new(2, 6, 14, 14, 16, 5, 5, 1, 1, 2, 2), Data: Direct),
        new("direct backward data: 8 channels, 16 filters 3x3 same-padded", new(3, 8, 14, 14, 16, 3, 3, 1, 1, 1, 1), Data: Direct),
        new("direct backward data: batch 1, rectangular kernel, uneven padding, 7 channels, 5 filters", new(1, 7, 9, 13, 5, 3, 5, 1, 1, 1, 2), Data: Direct),
        new("direct backward data: 16 channels, 1x1 kernel, odd sizes", new(2, 16, 7, 5, 13, 1, 1), Data: Direct),
        new("dense direct backward filter, C = 1: K = 7 (a block of 4 filters half idle), positions not a multiple of a vector",
            new(3, 1, 13, 11, 7, 3, 3, 1, 1, 1, 1), Filter: Direct),
        new("dense direct backward filter in blocks of 6 filters × 2 taps: K = 18, C = 1, 25 taps, positions not a multiple of a vector, batch 1",
            new(1, 1, 13, 11, 18, 5, 5, 1, 1, 2, 2), Filter: Direct),
        new("dense direct backward filter, C > 1: K = 20, 5x5 pad 2 (taps not a multiple of 3)", new(3, 16, 28, 28, 20, 5, 5, 1, 1, 2, 2), Filter: Direct),
        new("wide-row direct backward filter, C = 1: convnet's first layer", new(3, 1, 28, 28, 32, 5, 5, 1, 1, 2, 2), Filter: Direct, Paths: WideRowFilter),
        new("wide-row direct backward filter, C > 1: taps not a multiple of 3, K = 6", new(2, 2, 24, 24, 6, 5, 5, 1, 1, 2, 2), Filter: Direct,
            Paths: WideRowFilter),
        new("direct forward, C = 16: batch 1, K past one task (37)", new(1, 16, 24, 26, 37, 3, 3, 1, 1, 1, 1), Direct),
        new("lowering: batch 1 in one chunk (no single-image split)", new(1, 16, 20, 20, 32, 3, 3, 1, 1, 1, 1), Lowering,
            Paths: LoweringOnly & ~CpuPaths.SplitSingleImage),
        new("winograd 5x5: convnet's second layer", new(2, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2), Winograd, Winograd, Winograd, Paths: CpuPaths.All),
        new("winograd 3x3: C and K off the vectors (17, 19), odd sizes, partial edge tiles", new(3, 17, 13, 11, 19, 3, 3, 1, 1, 1, 1),
            Winograd, Winograd, Winograd, Paths: CpuPaths.All),
        new("winograd 5x5: unpadded, batch 1 (bands of tile rows); backward data at batch 1 not", new(1, 32, 15, 17, 24, 5, 5), Winograd, Lowering, Winograd,
            Paths: CpuPaths.All),
        new("winograd 3x3: uneven padding, 5 images", new(5, 20, 12, 10, 16, 3, 3, 1, 1, 0, 1), Winograd, Winograd, Winograd, Paths: CpuPaths.All),
        new("winograd 3x3: 64 channels, 40 filters, one tile row per band", new(2, 64, 16, 16, 40, 3, 3, 1, 1, 1, 1), Winograd, Winograd, Winograd,
            Paths: CpuPaths.All),
        new("winograd 5x5: the smallest output it takes (4x4), padding wider than 2; backward filter implicit", new(3, 16, 6, 5, 16, 5, 5, 1, 1, 1, 2), Winograd, Winograd, Implicit,
            Paths: CpuPaths.All),
        new("winograd 5x5: 9 images in runs of whole images (chunks of tiles across two images)", new(9, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2),
            Winograd, Winograd, Winograd, Paths: CpuPaths.All),
        new("winograd 3x3: 7 images in runs, partial edge tiles, C and K off the vectors", new(7, 24, 9, 11, 20, 3, 3, 1, 1, 1, 1),
            Winograd, Winograd, Winograd, Paths: CpuPaths.All),
        new("winograd backward data padded by 4 (an unpadded layer), 2 images", new(2, 32, 15, 17, 24, 5, 5), Data: Winograd, Paths: CpuPaths.All),
        new("winograd backward filter: K = 17, a last tile of 3 rows (512 bits) or 5 of 6 (256 bits)", new(2, 32, 10, 10, 17, 3, 3, 1, 1, 1, 1),
            Winograd, Winograd, Winograd, Paths: CpuPaths.All),
        new("no winograd below 16 channels: LeNet's second layer", new(4, 6, 14, 14, 16, 5, 5), Direct, Scatter, Paths: CpuPaths.All),
        new("no winograd for 4x4 filters", new(2, 16, 12, 12, 16, 4, 4, 1, 1, 1, 1), Implicit, Paths: CpuPaths.All, Width: V256),
        new("winograd backward filter of 16 channels only where the filters' panels are as narrow", new(2, 16, 12, 12, 32, 5, 5), Filter: Implicit,
            Paths: CpuPaths.All, Width: V512),
        new("winograd backward filter of 16 channels, 32 filters, 256-bit device", new(2, 16, 12, 12, 32, 5, 5), Winograd, Winograd, Winograd,
            Paths: CpuPaths.All, Width: V256),
    ];

    [TestCaseSource(nameof(Cases))]
    public void ThePlanTakesThePathTheCaseIsNamedFor(ConvCase c)
    {
        using var cpu = c.Device(1);
        var plan = cpu.PlanConv2d(c.G);
        if (c.Forward is { } f) Assert.That(plan.Forward, Is.EqualTo(f), "forward");
        if (c.Data is { } d) Assert.That(plan.BackwardData, Is.EqualTo(d), "backward data");
        if (c.Filter is { } b) Assert.That(plan.BackwardFilter, Is.EqualTo(b), "backward filter");
        Assert.That(new[] { c.Forward, c.Data, c.Filter }, Has.Some.Not.Null, "every case names a path");
    }

    [TestCase(1, CpuIsa.Vector256)]
    [TestCase(6, CpuIsa.Vector256)]
    [TestCase(16, CpuIsa.Vector256)]
    [TestCase(30, CpuIsa.Vector512)]
    [TestCase(32, CpuIsa.Vector512)]
    [TestCase(48, CpuIsa.Vector256)]
    [TestCase(64, CpuIsa.Vector512)]
    [TestCase(80, CpuIsa.Vector256)]
    [TestCase(112, CpuIsa.Vector512)]
    public void AVector512DeviceRunsNarrowPanelsAt256Bits(int filters, CpuIsa expected)
    {
        Assert.That(CpuConv2dPlanner.Width(filters, CpuIsa.Vector512), Is.EqualTo(expected));
        Assert.That(CpuConv2dPlanner.Width(filters, CpuIsa.Vector256), Is.EqualTo(CpuIsa.Vector256), "a 256-bit device never runs 512");
        var g = new Conv2dGeometry(2, 3, 14, 14, filters, 5, 5);
        // Without the backward filter's one-vector panels (AtMost16FiltersTakeTheImplicitBackwardFilterAt512BitsInOneVectorPanels).
        using var cpu = new CpuDevice(new CpuDeviceOptions { Threads = 1, Isa = CpuIsa.Vector512, Paths = NoDirect & ~CpuPaths.ImplicitHalfPanels });
        var plan = cpu.PlanConv2d(g);
        Assert.That((plan.ForwardIsa, plan.BackwardFilterIsa, plan.BackwardDataIsa), Is.EqualTo((expected, expected, CpuIsa.Vector256)), "backward data's panels are the 3 channels");
    }

    [Test]
    public void AtMost16FiltersTakeTheImplicitBackwardFilterAt512BitsInOneVectorPanels()
    {
        var lenetSecond = new Conv2dGeometry(4, 6, 14, 14, 16, 5, 5);
        using var cpu = new CpuDevice(new CpuDeviceOptions { Threads = 1, Isa = CpuIsa.Vector512 });
        Assert.That((cpu.PlanConv2d(lenetSecond).BackwardFilter, cpu.PlanConv2d(lenetSecond).BackwardFilterIsa), Is.EqualTo((Implicit, V512)));
        using var without = new CpuDevice(new CpuDeviceOptions { Threads = 1, Isa = CpuIsa.Vector512, Paths = CpuPaths.All & ~CpuPaths.ImplicitHalfPanels });
        Assert.That((without.PlanConv2d(lenetSecond).BackwardFilter, without.PlanConv2d(lenetSecond).BackwardFilterIsa), Is.EqualTo((Implicit, V256)),
            "without them, the 256-bit tile's 16-filter panels");
        Assert.That(CpuConv2dPlanner.FilterHalfPanels(new Conv2dGeometry(4, 6, 14, 14, 17, 5, 5), CpuPaths.All, CpuIsa.Vector512), Is.False, "17 filters");
        Assert.That(CpuConv2dPlanner.FilterHalfPanels(lenetSecond, CpuPaths.All, CpuIsa.Vector256), Is.False, "a 256-bit device");
    }

    [Test]
    public void TheDirectForwardAndBackwardFilterRunAtTheDevicesWidthWhateverTheFilterCount()
    {
        var lenetFirst = new Conv2dGeometry(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2);
        using var cpu = new CpuDevice(new CpuDeviceOptions { Threads = 1, Isa = CpuIsa.Vector512 });
        var plan = cpu.PlanConv2d(lenetFirst);
        Assert.That((plan.Forward, plan.ForwardIsa), Is.EqualTo((Direct, V512)), "positions run along the vectors, the 6 filters are broadcast");
        Assert.That((plan.BackwardFilter, plan.BackwardFilterIsa), Is.EqualTo((Direct, V512)), "the direct backward filter's vectors run along positions too");
        using var noDirect = new CpuDevice(new CpuDeviceOptions { Threads = 1, Isa = CpuIsa.Vector512, Paths = CpuPaths.All & ~CpuPaths.DirectConv2d });
        Assert.That(noDirect.PlanConv2d(lenetFirst).ForwardIsa, Is.EqualTo(V256), "other forwards keep the width of their filter panels");
        Assert.That(noDirect.PlanConv2d(lenetFirst).BackwardFilterIsa, Is.EqualTo(V256), "the implicit backward filter's panels are the 6 filters");
        // 16 channels, 16 filters on a large image: the implicit tile in 16-wide panels (256 bits, or one 512-bit vector),
        // not the direct path that 32-wide panels would leave it to.
        foreach (var (paths, width) in new[] { (CpuPaths.All & ~CpuPaths.WinogradConv2d, V512), (CpuPaths.All & ~CpuPaths.WinogradConv2d & ~CpuPaths.ImplicitHalfPanels, V256) })
        {
            using var noWinograd = new CpuDevice(new CpuDeviceOptions { Threads = 1, Isa = CpuIsa.Vector512, Paths = paths });
            var wide = noWinograd.PlanConv2d(new Conv2dGeometry(2, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1));
            Assert.That((wide.BackwardFilter, wide.BackwardFilterIsa), Is.EqualTo((Implicit, width)), paths.ToString());
        }
    }

    [TestCase(6, true)]     // LeNet's first layer: 2 blocks of 4 would repeat 2 rows
    [TestCase(18, true)]
    [TestCase(12, false)]   // whole blocks of 4 filters and 3 taps
    [TestCase(4, false)]
    [TestCase(7, false)]
    public void TheDenseBackwardFilterTakesBlocksOfSixFiltersWhereFoursWouldRepeatRows(int filters, bool six)
        => Assert.That(CpuConv2d<CnnNative.Devices.Cpu.Simd.V256>.SixFilterBlocks(filters), Is.EqualTo(six));

    private static float Tolerance(in Conv2dGeometry g) => 1e-5f * MathF.Sqrt(g.C * g.R * g.S + g.K + g.N * g.P * g.Q);

    private static float[][] Forward(IDevice d, Conv2dGeometry g, bool bias)
        => Run(d, [Random(g.InputLength, 1), Random(g.FilterLength, 2), Random(g.K, 3), new float[g.OutputLength]],
               (dev, b) => dev.Conv2dForward(g, b[0], b[1], bias ? b[2] : null, b[3]));

    private static float[][] BackwardData(IDevice d, Conv2dGeometry g)
    {
        // dx starts as NaN: the op must overwrite every element.
        var dx = Enumerable.Repeat(float.NaN, g.InputLength).ToArray();
        return Run(d, [Random(g.OutputLength, 4), Random(g.FilterLength, 2), dx], (dev, b) => dev.Conv2dBackwardData(g, b[0], b[1], b[2]));
    }

    private static float[][] BackwardFilter(IDevice d, Conv2dGeometry g, bool bias)
        // dw and db start non-zero: the op accumulates.
        => Run(d, [Random(g.InputLength, 1), Random(g.OutputLength, 4), Random(g.FilterLength, 5), Random(g.K, 6)],
               (dev, b) => dev.Conv2dBackwardFilter(g, b[0], b[1], b[2], bias ? b[3] : null));

    private static IEnumerable<(string Name, Func<IDevice, float[][]> Op, int[] Outputs)> Ops(Conv2dGeometry g)
    {
        yield return ("forward with bias", d => Forward(d, g, true), [3]);
        yield return ("forward without bias", d => Forward(d, g, false), [3]);
        yield return ("backward data", d => BackwardData(d, g), [2]);
        yield return ("backward filter with bias gradient", d => BackwardFilter(d, g, true), [2, 3]);
        yield return ("backward filter without bias gradient", d => BackwardFilter(d, g, false), [2, 3]);
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesReference(ConvCase c)
    {
        var g = c.G;
        using var reference = new ReferenceDevice();
        using var one = c.Device(1);
        using var two = c.Device(2);
        foreach (var (name, op, outputs) in Ops(g))
        {
            var expected = op(reference);
            foreach (var cpu in new[] { one, two })
            {
                var actual = op(cpu);
                foreach (int o in outputs) Compare.Close(actual[o], expected[o], Tolerance(g), $"{name}, {g}, threads={cpu.Threads}, buffer {o}");
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void OneAndTwoThreadsGiveIdenticalBitsAndRerunsToo(ConvCase c)
    {
        var g = c.G;
        using var one = c.Device(1);
        using var two = c.Device(2);
        foreach (var (name, op, _) in Ops(g))
        {
            var first = op(two);
            Compare.BitwiseEqual(op(two), first, $"{name}, rerun, {g}");
            Compare.BitwiseEqual(op(one), first, $"{name}, 1 vs 2 threads, {g}");
        }
    }

    [Test]
    public void FewerImagesThanThreadsSplitPositionsWithoutChangingBits()
    {
        // Two images on four threads: the Winograd forward cuts each image's tile rows into two bands.
        var g = new Conv2dGeometry(2, 30, 9, 11, 32, 3, 3, 1, 1, 1, 1);
        using var reference = new ReferenceDevice();
        using var one = new CpuDevice(1);
        using var four = new CpuDevice(4);
        var expected = Forward(reference, g, true)[3];
        var split = Forward(four, g, true)[3];
        Compare.Close(split, expected, Tolerance(g), "4 threads vs reference");
        Compare.BitwiseEqual(Forward(four, g, true), Forward(one, g, true), "4 threads vs 1");
    }

    [Test]
    public void WinogradRunsOfWholeImagesGiveTheBitsOfBandsOfTileRows()
    {
        foreach (var g in new Conv2dGeometry[] { new(9, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2), new(7, 24, 9, 11, 20, 3, 3, 1, 1, 1, 1) })
        {
            using var runs = new CpuDevice(new CpuDeviceOptions { Threads = 2 });
            using var bands = new CpuDevice(new CpuDeviceOptions { Threads = 2, Paths = CpuPaths.All & ~CpuPaths.WinogradImageRuns });
            Assert.That(runs.PlanConv2d(g).Forward, Is.EqualTo(Winograd));
            Compare.BitwiseEqual(Forward(runs, g, true), Forward(bands, g, true), $"forward {g}");
            Compare.BitwiseEqual(BackwardData(runs, g), BackwardData(bands, g), $"backward data {g}");
        }
    }

    /// <summary>
    /// The dense direct paths' planes written by permutation give the bits of the planes written row by row, forward
    /// and backward filter, on unpadded layers (read from the image, the batch's last rows element by element),
    /// padded ones (staged with their zero border), rows narrower than a vector and wider than one, and a plane whose
    /// vectors span more than two source vectors (it keeps the rows). Where AVX-512 runs, the path is taken.
    /// </summary>
    [TestCase(4, 6, 14, 14, 16, 5, 5, 0, 0, true)]   // LeNet's second layer: rows of 10 from rows of 14
    [TestCase(3, 1, 28, 28, 6, 5, 5, 2, 2, true)]    // LeNet's first: staged 32 × 32
    [TestCase(1, 1, 13, 11, 18, 5, 5, 2, 2, true)]   // batch 1, odd sizes
    [TestCase(3, 5, 3, 4, 14, 3, 2, 0, 1, true)]     // fewer positions than a vector, uneven padding
    [TestCase(2, 7, 30, 21, 6, 3, 2, 1, 0, true)]    // padded rows only on one axis, 7 channels
    [TestCase(2, 1, 10, 15, 7, 2, 5, 1, 0, true)]    // rectangular kernel
    [TestCase(2, 1, 3, 40, 5, 1, 37, 0, 0, false)]   // rows of 4 from rows of 40: a vector spans four rows
    public void PermutedPlanesGiveTheRowByRowBits(int n, int c, int h, int w, int k, int r, int s, int padH, int padW, bool permuted)
    {
        var g = new Conv2dGeometry(n, c, h, w, k, r, s, 1, 1, padH, padW);
        using var rows = new CpuDevice(new CpuDeviceOptions { Threads = 2, Isa = V512, Paths = NoWinograd & ~CpuPaths.PermutedPlanes });
        using var permutes = new CpuDevice(new CpuDeviceOptions { Threads = 2, Isa = V512, Paths = NoWinograd });
        Assert.That(permutes.PlanConv2d(g).Forward, Is.EqualTo(Direct), "the dense direct forward");
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            Assert.That(CpuConv2d<CnnNative.Devices.Cpu.Simd.V512>.MayPermutePlanes(g, NoWinograd), Is.True);
            Assert.That(CpuConv2d<CnnNative.Devices.Cpu.Simd.V512>.PermutesPlanes(g, NoWinograd), Is.EqualTo(permuted), "the permuted planes");
        }
        Compare.BitwiseEqual(Forward(permutes, g, true), Forward(rows, g, true), $"forward {g}");
        if (permutes.PlanConv2d(g).BackwardFilter == Direct)
            Compare.BitwiseEqual(BackwardFilter(permutes, g, true), BackwardFilter(rows, g, true), $"backward filter {g}");
        using var reference = new ReferenceDevice();
        Compare.Close(Forward(permutes, g, true)[3], Forward(reference, g, true)[3], Tolerance(g), $"forward against the reference {g}");
    }

    [Test]
    public void WorkspacesShrinkingThenGrowingStillGiveReferenceResults()
    {
        // A big op grows the workspaces, a small one reuses them, a big one again must not see stale data.
        var big = new Conv2dGeometry(4, 8, 16, 16, 12, 3, 3, 1, 1, 1, 1);
        var small = new Conv2dGeometry(1, 2, 5, 5, 3, 3, 3);
        using var reference = new ReferenceDevice();
        using var cpu = new CpuDevice(2);
        foreach (var g in new[] { big, small, big })
            Compare.Close(Forward(cpu, g, true)[3], Forward(reference, g, true)[3], Tolerance(g), g.ToString());
    }
}
