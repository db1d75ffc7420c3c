using CnnNative.Devices;
using CnnNative.Devices.Cpu;
using CnnNative.Layers;
using CnnNative.Models;
using CnnNative.Tensors;
using static CnnNative.Tests.Devices.DeviceTestSupport;

namespace CnnNative.Tests.Devices.Cpu;

/// <summary>
/// The cpu device's channel-blocked activations (<see cref="CpuPaths.ChannelBlocked"/>): the reorders, the ops that
/// read and write the layout giving the same floats as the NCHW path, every other op (and Download, and a partial
/// Upload) seeing NCHW, and models whose inference passes through the layout predicting what they predict without it.
/// Each case runs at both vector widths (blocks of 8 and 16; the 512-bit kernels run in software without AVX-512).
/// </summary>
[Category(Conformance.TestDevices.CpuCategory)]
internal class CpuChannelBlockedTests
{
    private static readonly CpuIsa[] Widths = [CpuIsa.Vector256, CpuIsa.Vector512];

    private static CpuDevice Cpu(CpuIsa width, int threads = 2, bool blocked = true)
        => new(new CpuDeviceOptions { Threads = threads, Isa = width, Paths = blocked ? CpuPaths.All : CpuPaths.All & ~CpuPaths.ChannelBlocked });

    private static int Lanes(CpuIsa width) => width == CpuIsa.Vector512 ? 16 : 8;

    private static float[] Download(IDevice device, DeviceBuffer buffer, int length)
    {
        var host = new float[length];
        device.Download(buffer, host);
        return host;
    }

    private static DeviceBuffer Upload(IDevice device, float[] data)
    {
        var buffer = device.Allocate(data.Length);
        device.Upload(data, buffer);
        return buffer;
    }

    /// <summary>ReLU(conv(x, w) + bias) on a device without the layout.</summary>
    private static float[] NchwForward(CpuIsa width, in Conv2dGeometry g, float[] x, float[] w, float[] bias)
    {
        using var nchw = Cpu(width, blocked: false);
        var geometry = g;
        return Run(nchw, [x, w, bias, new float[g.OutputLength]], (d, b) => d.Conv2dForward(geometry, b[0], b[1], b[2], b[3], Activation.ReLU))[3];
    }

    /// <summary>The buffer's raw memory, whatever its layout (no restore).</summary>
    private static unsafe float[] Raw(DeviceBuffer buffer) => ((HostBuffer)buffer).Span.ToArray();

    [Test]
    public void ReorderingToBlocksPutsEachChannelWhereTheLayoutSaysAndBack(
        [Values(8, 16)] int block, [Values(1, 7, 8, 49, 100)] int plane, [Values(1, 3)] int n, [Values(1, 2)] int threads)
    {
        int c = 2 * block;
        using var cpu = Cpu(CpuIsa.Auto, threads);
        var data = Random(n * c * plane + 5, plane);
        using var buffer = Upload(cpu, data);
        cpu.Reorder(buffer, toLogical: false, new ChannelBlocks(n, c, plane, block));
        Assert.That(buffer.Layout, Is.EqualTo(PhysicalLayout.ChannelBlocked));
        var raw = Raw(buffer);
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < plane; p++)
                    Assert.That(raw[((i * c / block + ch / block) * plane + p) * block + ch % block], Is.EqualTo(data[(i * c + ch) * plane + p]),
                                $"image {i}, channel {ch}, position {p}");
        Assert.That(raw[^5..], Is.EqualTo(data[^5..]), "the elements past the tensor");
        Assert.That(Download(cpu, buffer, data.Length), Is.EqualTo(data), "Download restores NCHW");
        Assert.That(buffer.Layout, Is.EqualTo(PhysicalLayout.Logical));
    }

    /// <summary>Shapes the planner gives Winograd: 3×3 and 5×5, padded or not, batch 1, odd sizes, several blocks of filters.</summary>
    private static IEnumerable<TestCaseData> WinogradShapes()
    {
        foreach (var width in Widths)
        {
            yield return new TestCaseData(width, new Conv2dGeometry(2, 32, 14, 14, 64, 5, 5, padH: 2, padW: 2)).SetArgDisplayNames($"{width}", "convnet2");
            yield return new TestCaseData(width, new Conv2dGeometry(1, 16, 11, 9, 32, 3, 3, padH: 1, padW: 1)).SetArgDisplayNames($"{width}", "3x3 odd, batch 1");
            yield return new TestCaseData(width, new Conv2dGeometry(3, 16, 13, 13, 16, 5, 5)).SetArgDisplayNames($"{width}", "5x5 unpadded");
            yield return new TestCaseData(width, new Conv2dGeometry(5, 24, 10, 10, 48, 3, 3, padH: 1, padW: 1)).SetArgDisplayNames($"{width}", "24 channels");
        }
    }

    [TestCaseSource(nameof(WinogradShapes))]
    public void AWinogradConvolutionLeavesItsOutputBlockedWithTheSameFloats(CpuIsa width, Conv2dGeometry g)
    {
        using var cpu = Cpu(width);
        Assert.That(cpu.PlanConv2d(g).Forward, Is.EqualTo(Conv2dAlgorithm.Winograd), "the case is for the Winograd path");
        float[] x = Random(g.InputLength, 1), w = Random(g.FilterLength, 2, 0.2f), bias = Random(g.K, 3);
        var expected = NchwForward(width, g, x, w, bias);

        using var xb = Upload(cpu, x);
        using var wb = Upload(cpu, w);
        using var bb = Upload(cpu, bias);
        using var y = cpu.Allocate(g.OutputLength);
        y.PrivateLayoutAllowed = true;
        cpu.Conv2dForward(g, xb, wb, bb, y, Activation.ReLU);
        // Blocks of the width the forward runs at: the device's, or 8 where a 512-bit device runs the layer at 256 bits.
        Assert.That(y.Layout, Is.EqualTo(PhysicalLayout.ChannelBlocked));
        Assert.That(y.Blocks, Is.EqualTo(new ChannelBlocks(g.N, g.K, g.P * g.Q, y.Blocks.Block)));
        Assert.That(y.Blocks.Block, Is.EqualTo(8).Or.EqualTo(Lanes(width)));

        // The same convolution again, now from an x in blocks (of 8 and of the device's width): the same floats.
        using var y2 = cpu.Allocate(g.OutputLength);
        foreach (int block in new[] { 8, Lanes(width) }.Where(b => g.C % b == 0).Distinct())
        {
            cpu.Reorder(xb, toLogical: false, new ChannelBlocks(g.N, g.C, g.H * g.W, block));
            cpu.Conv2dForward(g, xb, wb, bb, y2);
            Assert.That(xb.Layout, Is.EqualTo(PhysicalLayout.ChannelBlocked), "x is read in its blocks, not restored");
            cpu.ActivationForward(Activation.ReLU, g.OutputLength, y2, y2);
            Assert.That(Download(cpu, y2, g.OutputLength), Is.EqualTo(expected), $"x in blocks of {block}");
        }
        Assert.That(Download(cpu, y, g.OutputLength), Is.EqualTo(expected));
        Assert.That(Download(cpu, xb, g.InputLength), Is.EqualTo(x), "x's values are untouched");
    }

    /// <summary>First layers (1–4 channels, stride 1) whose filters come in pairs of vectors at both widths: the blocked direct forward.</summary>
    private static IEnumerable<TestCaseData> FirstLayerShapes()
    {
        foreach (var width in Widths)
        {
            yield return new TestCaseData(width, new Conv2dGeometry(3, 1, 28, 28, 32, 5, 5, padH: 2, padW: 2)).SetArgDisplayNames($"{width}", "convnet1");
            yield return new TestCaseData(width, new Conv2dGeometry(1, 3, 13, 11, 64, 3, 3, padH: 1, padW: 1)).SetArgDisplayNames($"{width}", "3 channels odd, batch 1");
            yield return new TestCaseData(width, new Conv2dGeometry(2, 2, 9, 10, 32, 4, 2, padH: 0, padW: 1)).SetArgDisplayNames($"{width}", "4x2 kernel");
            yield return new TestCaseData(width, new Conv2dGeometry(5, 4, 7, 7, 96, 3, 3)).SetArgDisplayNames($"{width}", "4 channels unpadded");
        }
    }

    [TestCaseSource(nameof(FirstLayerShapes))]
    public void AFirstLayerWritesBlocksDirectlyWithinRounding(CpuIsa width, Conv2dGeometry g)
    {
        float[] x = Random(g.InputLength, 1), w = Random(g.FilterLength, 2, 0.3f), bias = Random(g.K, 3);
        var expected = NchwForward(width, g, x, w, bias);
        foreach (int threads in new[] { 1, 2 })
        {
            using var cpu = Cpu(width, threads);
            using var xb = Upload(cpu, x);
            using var wb = Upload(cpu, w);
            using var bb = Upload(cpu, bias);
            using var y = cpu.Allocate(g.OutputLength);
            y.PrivateLayoutAllowed = true;
            cpu.Conv2dForward(g, xb, wb, bb, y, Activation.ReLU);
            Assert.That(y.Layout, Is.EqualTo(PhysicalLayout.ChannelBlocked));
            Assert.That(y.Blocks.Block, Is.EqualTo(Lanes(width)));
            // Summed over the same taps with FMAs in another grouping than the NCHW direct path: the same within rounding.
            var actual = Download(cpu, y, g.OutputLength);
            for (int i = 0; i < actual.Length; i++)
                Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-5f * (1 + Math.Abs(expected[i]))), $"element {i}, {threads} threads");
        }
    }

    [Test]
    public void WithoutTheHintOrThePathTheOutputIsNchw([ValueSource(nameof(Widths))] CpuIsa width)
    {
        var g = new Conv2dGeometry(2, 16, 8, 8, 16, 3, 3, padH: 1, padW: 1);
        using var cpu = Cpu(width);
        using var nchw = Cpu(width, blocked: false);
        foreach (var (device, hint) in new[] { (cpu, false), (nchw, true) })
        {
            using var x = Upload(device, Random(g.InputLength, 1));
            using var w = Upload(device, Random(g.FilterLength, 2));
            using var y = device.Allocate(g.OutputLength);
            y.PrivateLayoutAllowed = hint;
            device.Conv2dForward(g, x, w, null, y);
            Assert.That(y.Layout, Is.EqualTo(PhysicalLayout.Logical));
        }
    }

    private static IEnumerable<TestCaseData> PoolShapes()
    {
        foreach (var width in Widths)
        {
            yield return new TestCaseData(width, new Pool2dGeometry(3, 64, 14, 14, 2, 2, 2, 2)).SetArgDisplayNames($"{width}", "2x2/2");
            yield return new TestCaseData(width, new Pool2dGeometry(1, 16, 9, 7, 3, 3, 2, 2)).SetArgDisplayNames($"{width}", "3x3/2 odd");
            yield return new TestCaseData(width, new Pool2dGeometry(2, 32, 6, 5, 2, 2, 1, 1)).SetArgDisplayNames($"{width}", "2x2/1 overlapping");
        }
    }

    [TestCaseSource(nameof(PoolShapes))]
    public void MaxPoolingOfABlockedInputGivesTheNchwPoolsValues(CpuIsa width, Pool2dGeometry g)
    {
        using var cpu = Cpu(width);
        using var nchw = Cpu(width, blocked: false);
        var x = Random(g.InputLength, 4);
        var expected = Run(nchw, [x, new float[g.OutputLength]], (d, b) => d.Pool2dForward(g, PoolMode.Max, b[0], b[1]))[1];
        using var xb = Upload(cpu, x);
        using var y = cpu.Allocate(g.OutputLength);
        foreach (bool blockedOutput in new[] { true, false })
        {
            cpu.Reorder(xb, toLogical: false, new ChannelBlocks(g.N, g.C, g.H * g.W, Lanes(width)));
            y.PrivateLayoutAllowed = blockedOutput;
            cpu.Pool2dForward(g, PoolMode.Max, xb, y);
            Assert.That(y.Layout, Is.EqualTo(blockedOutput ? PhysicalLayout.ChannelBlocked : PhysicalLayout.Logical));
            Assert.That(Download(cpu, y, g.OutputLength), Is.EqualTo(expected), blockedOutput ? "into blocks" : "into NCHW planes");
        }
        // Average pooling does not read the layout: x is restored, and pooled as NCHW.
        var average = Run(nchw, [x, new float[g.OutputLength]], (d, b) => d.Pool2dForward(g, PoolMode.Average, b[0], b[1]))[1];
        cpu.Reorder(xb, toLogical: false, new ChannelBlocks(g.N, g.C, g.H * g.W, Lanes(width)));
        cpu.Pool2dForward(g, PoolMode.Average, xb, y);
        Assert.That(xb.Layout, Is.EqualTo(PhysicalLayout.Logical));
        Assert.That(Download(cpu, y, g.OutputLength), Is.EqualTo(average));
    }

    /// <summary>Ops that do not read the layout get NCHW: each gives what it gives on the NCHW data.</summary>
    private static IEnumerable<TestCaseData> OtherOps()
    {
        const int n = 2, c = 16, plane = 25, length = n * c * plane;
        var conv = new Conv2dGeometry(n, c, 5, 5, 8, 3, 3, padH: 1, padW: 1);
        var pool = new Pool2dGeometry(n, c, 5, 5, 2, 2, 1, 1);
        yield return Op("ActivationForward", length, (d, x, o) => d.ActivationForward(Activation.Tanh, length, x, o));
        yield return Op("Copy", length, (d, x, o) => d.Copy(x, o, length));
        yield return Op("Axpy into it", length, (d, x, o) => d.Axpy(length, 0.5f, o, x), outputIsX: true);
        yield return Op("Gemm (Flatten → Linear)", n * 10, (d, x, o) =>
        {
            using var w = Upload(d, Random(c * plane * 10, 9));
            d.Gemm(false, false, n, 10, c * plane, 1, x, w, 0, o);
        });
        yield return Op("Conv2dBackwardFilter", conv.FilterLength, (d, x, o) =>
        {
            using var dy = Upload(d, Random(conv.OutputLength, 9));
            d.Conv2dBackwardFilter(conv, x, dy, o, null);
        });
        yield return Op("Pool2dBackward", length, (d, x, o) =>
        {
            using var dy = Upload(d, Random(pool.OutputLength, 9));
            d.Pool2dBackward(pool, PoolMode.Max, x, dy, o, Activation.ReLU);
        });
        yield return Op("BatchNormForwardInference", length, (d, x, o) =>
        {
            using var stats = Upload(d, Random(c, 9));
            using var variance = Upload(d, Enumerable.Repeat(2f, c).ToArray());
            d.BatchNormForwardInference(n, c, plane, 1e-5f, x, stats, stats, stats, variance, o);
        });
        yield return Op("Upload of a part", length, (d, x, o) => d.Upload(new float[] { 7, 8, 9 }, x, 40), outputIsX: true);

        static TestCaseData Op(string name, int outLength, Action<IDevice, DeviceBuffer, DeviceBuffer> op, bool outputIsX = false)
            => new TestCaseData(new BlockedOp(n, c, plane, outLength, op, outputIsX)).SetArgDisplayNames(name);
    }

    public sealed record BlockedOp(int N, int C, int Plane, int OutLength, Action<IDevice, DeviceBuffer, DeviceBuffer> Run, bool OutputIsX);

    [TestCaseSource(nameof(OtherOps))]
    public void AnOpThatDoesNotReadTheLayoutSeesNchw(BlockedOp op)
    {
        int length = op.N * op.C * op.Plane;
        var x = Random(length, 1);
        foreach (var width in Widths)
        {
            using var cpu = Cpu(width);
            using var nchw = Cpu(width, blocked: false);
            float[] Result(CpuDevice device, bool blocked)
            {
                using var xb = Upload(device, x);
                using var o = Upload(device, Random(Math.Max(op.OutLength, 1), 2));
                if (blocked) device.Reorder(xb, toLogical: false, new ChannelBlocks(op.N, op.C, op.Plane, 8));
                op.Run(device, xb, o);
                Assert.That(xb.Layout, Is.EqualTo(PhysicalLayout.Logical), "restored");
                return op.OutputIsX ? Download(device, xb, length) : Download(device, o, op.OutLength);
            }
            Assert.That(Result(cpu, blocked: true), Is.EqualTo(Result(nchw, blocked: false)), $"{width}");
        }
    }

    [Test]
    public void AnOutputWrittenOverPartOfABlockedBufferKeepsTheRestsValues([ValueSource(nameof(Widths))] CpuIsa width)
    {
        // A workspace sized for 4 images, blocked, then written for 2 (a smaller batch): images 2 and 3 read as before.
        var g4 = new Conv2dGeometry(4, 16, 6, 6, 16, 3, 3, padH: 1, padW: 1);
        var g2 = g4.WithBatch(2);
        using var cpu = Cpu(width);
        var before = Random(g4.OutputLength, 5);
        using var y = Upload(cpu, before);
        cpu.Reorder(y, toLogical: false, new ChannelBlocks(4, 16, 36, 8));
        using var x = Upload(cpu, Random(g2.InputLength, 1));
        using var w = Upload(cpu, Random(g2.FilterLength, 2));
        cpu.Conv2dForward(g2, x, w, null, y);
        var after = Download(cpu, y, g4.OutputLength);
        Assert.That(after[g2.OutputLength..], Is.EqualTo(before[g2.OutputLength..]));
    }

    private const string Spec = "conv32k3p1-relu-maxpool2-conv32k5p2-relu-maxpool2-conv16k3p1-relu-flatten-dense10-softmax";

    [Test]
    public void SequentialMarksTheOutputsANextLayerReadsInBlocks()
    {
        using var cpu = Cpu(CpuIsa.Auto);
        var model = ModelBuilder.Build(Spec, cpu, new Shape(1, 12, 12), seed: 1);
        var marked = model.Layers.Where(l => l.OutputInDeviceLayout).Select(l => l.Name);
        // conv → maxpool, maxpool → conv, conv → maxpool, maxpool → conv; the last conv feeds Flatten.
        Assert.That(marked, Is.EqualTo(new[] { "conv2d_1", "maxpool2d_1", "conv2d_2", "maxpool2d_2" }));
    }

    [Test]
    public void AModelPredictsTheSameThroughTheBlockedLayoutAndTrainsOnAfter([ValueSource(nameof(Widths))] CpuIsa width, [Values(1, 2)] int threads)
    {
        var images = Random(6 * 144, 3);
        var labels = Enumerable.Range(0, 6).Select(i => i % 10).ToArray();
        var data = CnnNative.Data.Dataset.FromArrays(images, new Shape(1, 12, 12), labels, 10);
        float[] Predict(CpuDevice device, out float[] afterTraining)
        {
            var model = ModelBuilder.Build(Spec, device, new Shape(1, 12, 12), seed: 1);
            model.Compile(new CnnNative.Training.Adam(), CnnNative.Training.Loss.CategoricalCrossEntropy);
            var first = model.Predict(images);
            // The explicit loop in inference leaves the layers' own workspaces blocked; training then takes them back.
            using var x = Tensor.FromSpan(device, new Shape(6, 1, 12, 12), images);
            var t = x;
            var layouts = new List<PhysicalLayout>();
            foreach (var layer in model.Layers)
            {
                t = layer.Forward(t, training: false);
                layouts.Add(t.Buffer.Layout);
            }
            // The first convolution (one channel: the blocked direct forward) and the second (Winograd's) write blocks,
            // their fused ReLUs pass the same buffers on and the poolings keep the blocks; the third feeds Flatten.
            var blocked = new[] { 0, 1, 2, 3, 4, 5 };
            Assert.That(layouts, Is.EqualTo(Enumerable.Range(0, 11).Select(i => device.ReadsChannelBlocks && blocked.Contains(i)
                ? PhysicalLayout.ChannelBlocked : PhysicalLayout.Logical)));
            model.Fit(data, epochs: 1, batchSize: 3);
            afterTraining = model.Predict(images);
            return first;
        }
        using var cpu = Cpu(width, threads);
        using var nchw = Cpu(width, threads, blocked: false);
        // The first layer's blocked direct forward sums its taps in another grouping: the same within rounding.
        Assert.That(Predict(cpu, out var trainedBlocked), Is.EqualTo(Predict(nchw, out var trained)).Within(1e-6f));
        Assert.That(trainedBlocked, Is.EqualTo(trained).Within(1e-6f));
    }
}
