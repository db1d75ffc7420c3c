using CnnNative.Devices;
using CnnNative.Devices.Cpu;
using static CnnNative.Tests.Devices.DeviceTestSupport;

namespace CnnNative.Tests.Devices.Cpu;

/// <summary>
/// The cpu device packs a GEMM's B operand once when it is read again unchanged (a dense layer's weights): the
/// cached panels must give the bits of packing per call, and must never outlive a change of the buffer.
/// </summary>
[Category(Conformance.TestDevices.CpuCategory)]
internal class CpuPackedWeightsTests
{
    private static float[] Gemm(IDevice d, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int n, int k)
    {
        d.Gemm(false, true, m, n, k, 1f, a, b, 0f, c);
        var host = new float[m * n];
        d.Download(c, host);
        return host;
    }

    /// <summary>
    /// k = 300: across two k blocks, n off every panel width. k = 320 (whole 16-float vectors): at 512 bits the
    /// dot-tile path, which never packs, so every call, first or later, must give the same bits.
    /// </summary>
    [TestCase(CpuIsa.Vector256, 1, 300)]
    [TestCase(CpuIsa.Vector512, 1, 300)]
    [TestCase(CpuIsa.Vector256, 2, 300)]
    [TestCase(CpuIsa.Vector512, 2, 300)]
    [TestCase(CpuIsa.Vector512, 2, 320)]
    [TestCase(CpuIsa.Vector256, 2, 320)]
    public void CachedPanelsGiveThePerCallBitsAndFollowEveryChange(CpuIsa isa, int threads, int k)
    {
        const int m = 40, n = 70;
        using var cached = new CpuDevice(new CpuDeviceOptions { Threads = threads, Isa = isa });
        using var perCall = new CpuDevice(new CpuDeviceOptions { Threads = threads, Isa = isa, Paths = CpuPaths.All & ~CpuPaths.PackedWeights });
        var (a1, b1, c1) = (cached.Allocate(m * k), cached.Allocate(n * k), cached.Allocate(m * n));
        var (a2, b2, c2) = (perCall.Allocate(m * k), perCall.Allocate(n * k), perCall.Allocate(m * n));
        void Upload(float[] host, DeviceBuffer x, DeviceBuffer y) { cached.Upload(host, x); perCall.Upload(host, y); }
        Upload(Random(m * k, 1), a1, a2);
        Upload(Random(n * k, 2), b1, b2);

        // First use packs per call, the second packs into the cache, the third reads the cache.
        for (int call = 0; call < 3; call++)
            Compare.BitwiseEqual([Gemm(cached, a1, b1, c1, m, n, k)], [Gemm(perCall, a2, b2, c2, m, n, k)], $"call {call}");

        // New weights by upload: the stale panels must not be used.
        Upload(Random(n * k, 3), b1, b2);
        for (int call = 0; call < 3; call++)
            Compare.BitwiseEqual([Gemm(cached, a1, b1, c1, m, n, k)], [Gemm(perCall, a2, b2, c2, m, n, k)], $"after upload, call {call}");

        // New weights by an op (an optimizer step) and a new A each call.
        using var grad1 = cached.Allocate(n * k);
        using var grad2 = perCall.Allocate(n * k);
        Upload(Random(n * k, 4), grad1, grad2);
        for (int step = 0; step < 3; step++)
        {
            cached.SgdStep(n * k, b1, grad1, null, 0.5f, 0f, 0f, false);
            perCall.SgdStep(n * k, b2, grad2, null, 0.5f, 0f, 0f, false);
            Upload(Random(m * k, 10 + step), a1, a2);
            Compare.BitwiseEqual([Gemm(cached, a1, b1, c1, m, n, k)], [Gemm(perCall, a2, b2, c2, m, n, k)], $"after step {step}");
            Compare.BitwiseEqual([Gemm(cached, a1, b1, c1, m, n, k)], [Gemm(perCall, a2, b2, c2, m, n, k)], $"after step {step}, again");
        }

        // A disposed buffer's entry goes; a new buffer of the same size is not mistaken for it.
        b1.Dispose();
        using var b3 = cached.Allocate(n * k);
        cached.Upload(Random(n * k, 5), b3);
        perCall.Upload(Random(n * k, 5), b2);
        for (int call = 0; call < 3; call++)
            Compare.BitwiseEqual([Gemm(cached, a1, b3, c1, m, n, k)], [Gemm(perCall, a2, b2, c2, m, n, k)], $"new buffer, call {call}");
    }

    public static IEnumerable<TestCaseData> ConvCases()
    {
        (Conv2dAlgorithm Algorithm, Conv2dGeometry G)[] shapes =
        [
            (Conv2dAlgorithm.Direct, new(2, 1, 12, 12, 32, 5, 5, 1, 1, 2, 2)),
            (Conv2dAlgorithm.Implicit, new(2, 20, 7, 7, 32, 3, 3, 1, 1, 1, 1)),
            (Conv2dAlgorithm.Winograd, new(2, 20, 9, 9, 32, 3, 3, 1, 1, 1, 1)),
            (Conv2dAlgorithm.Winograd, new(2, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2)),
            (Conv2dAlgorithm.Lowering, new(2, 5, 9, 9, 7, 3, 3, 2, 2, 1, 1)),
        ];
        foreach (var isa in new[] { CpuIsa.Vector256, CpuIsa.Vector512 })
        {
            foreach (var (algorithm, g) in shapes)
                yield return new TestCaseData(g, isa, algorithm, false).SetArgDisplayNames(algorithm.ToString(), isa.ToString());
            // The first layer's forward into a channel-blocked output (inference): the blocked direct forward's packing.
            yield return new TestCaseData(shapes[0].G, isa, Conv2dAlgorithm.Direct, true).SetArgDisplayNames("BlockedDirect", isa.ToString());
        }
    }

    [TestCaseSource(nameof(ConvCases))]
    public void CachedFiltersGiveThePerCallBitsAndFollowEveryChange(Conv2dGeometry g, CpuIsa isa, Conv2dAlgorithm algorithm, bool blockedOutput)
    {
        using var cached = new CpuDevice(new CpuDeviceOptions { Threads = 2, Isa = isa });
        using var perCall = new CpuDevice(new CpuDeviceOptions { Threads = 2, Isa = isa, Paths = CpuPaths.All & ~CpuPaths.PackedWeights });
        var devices = new[] { cached, perCall };
        var x = devices.Select(d => d.Allocate(g.InputLength)).ToArray();
        var w = devices.Select(d => d.Allocate(g.FilterLength)).ToArray();
        var y = devices.Select(d => d.Allocate(g.OutputLength)).ToArray();
        var grad = devices.Select(d => d.Allocate(g.FilterLength)).ToArray();
        foreach (var b in y) b.PrivateLayoutAllowed = blockedOutput;
        void Upload(DeviceBuffer[] b, float[] host) { for (int i = 0; i < 2; i++) devices[i].Upload(host, b[i]); }
        float[][] Forward()
            => [.. Enumerable.Range(0, 2).Select(i =>
            {
                devices[i].Conv2dForward(g, x[i], w[i], null, y[i], Activation.ReLU);
                Assert.That(y[i].Layout, Is.EqualTo(blockedOutput ? PhysicalLayout.ChannelBlocked : PhysicalLayout.Logical));
                var host = new float[g.OutputLength];
                devices[i].Download(y[i], host);
                return host;
            })];
        Upload(x, Random(g.InputLength, 1));
        Upload(w, Random(g.FilterLength, 2));
        Upload(grad, Random(g.FilterLength, 3));
        Assert.That(cached.PlanConv2d(g).Forward, Is.EqualTo(algorithm), "the case runs the path it is named for");
        for (int call = 0; call < 3; call++) { var r = Forward(); Compare.BitwiseEqual([r[0]], [r[1]], $"call {call}"); }
        Upload(w, Random(g.FilterLength, 4));
        for (int call = 0; call < 3; call++) { var r = Forward(); Compare.BitwiseEqual([r[0]], [r[1]], $"after upload, call {call}"); }
        for (int step = 0; step < 2; step++)
        {
            for (int i = 0; i < 2; i++) devices[i].SgdStep(g.FilterLength, w[i], grad[i], null, 0.25f, 0f, 0f, false);
            for (int call = 0; call < 3; call++) { var r = Forward(); Compare.BitwiseEqual([r[0]], [r[1]], $"after step {step}, call {call}"); }
        }
    }
}
