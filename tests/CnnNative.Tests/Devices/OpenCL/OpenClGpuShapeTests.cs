using CnnNative.Devices;
using CnnNative.Devices.OpenCL;
using CnnNative.Devices.Reference;
using CnnNative.Tests.Devices.Conformance;
using Microsoft.Extensions.Logging.Abstractions;

namespace CnnNative.Tests.Devices.OpenCL;

/// <summary>
/// The GPU-shaped kernels (local-memory GEMM tiles, used for every convolution on a GPU) run here on pocl by
/// forcing the GPU tuning, so CI checks them against the reference even without a GPU.
/// </summary>
public class OpenClGpuShapeTests
{
    private OpenClDevice _device = null!;
    private ReferenceDevice _reference = null!;

    [OneTimeSetUp]
    public void Open()
    {
        OpenClTestSupport.RequireOpenCl();
        var entry = OpenClDevice.Select("opencl");
        _device = new OpenClDevice(entry, OpenClTuning.Gpu(entry), NullLogger.Instance);
        Assert.That(_device.Tuning.UseLocalMemoryGemm);
        _reference = new ReferenceDevice();
    }

    [OneTimeTearDown]
    public void Close()
    {
        _device?.Dispose();
        _reference?.Dispose();
    }

    private (DeviceBuffer dev, DeviceBuffer reference) Put(float[] values)
    {
        var d = _device.Allocate(values.Length);
        var r = _reference.Allocate(values.Length);
        _device.Upload(values, d);
        _reference.Upload(values, r);
        return (d, r);
    }

    private void AssertClose((DeviceBuffer dev, DeviceBuffer reference) pair, float rtol, float atol, string context)
        => Compare.Close(DevicePair.Read(_device, pair.dev), DevicePair.Read(_reference, pair.reference), rtol, atol, context);

    [TestCase(false, false, 1, 1, 1)]
    [TestCase(false, true, 70, 65, 33)]
    [TestCase(true, false, 64, 64, 64)]
    [TestCase(true, true, 5, 130, 67)]
    [TestCase(false, false, 129, 3, 200)]
    public void LocalMemoryGemmMatchesReference(bool ta, bool tb, int m, int n, int k)
    {
        var a = Put(Compare.Random(m * k, 1));
        var b = Put(Compare.Random(k * n, 2));
        var c = Put(Enumerable.Repeat(float.NaN, m * n).ToArray());
        _device.Gemm(ta, tb, m, n, k, 1.5f, a.dev, b.dev, 0f, c.dev);
        _reference.Gemm(ta, tb, m, n, k, 1.5f, a.reference, b.reference, 0f, c.reference);
        AssertClose(c, 1e-4f, 5e-5f * MathF.Sqrt(k), $"GPU-shaped Gemm {ta}/{tb} {m}x{n}x{k}");
        _device.Gemm(ta, tb, m, n, k, -1f, a.dev, b.dev, 0.5f, c.dev);
        _reference.Gemm(ta, tb, m, n, k, -1f, a.reference, b.reference, 0.5f, c.reference);
        AssertClose(c, 1e-4f, 5e-5f * MathF.Sqrt(k), $"GPU-shaped Gemm beta=0.5 {ta}/{tb} {m}x{n}x{k}");
        foreach (var buffer in new[] { a, b, c }) { buffer.dev.Dispose(); buffer.reference.Dispose(); }
    }

    [Test]
    public void LocalMemoryConvolutionMatchesReference()
    {
        foreach (var g in new[] { new Conv2dGeometry(3, 5, 11, 10, 7, 5, 5, 2, 2, 2, 2), new Conv2dGeometry(2, 16, 9, 9, 70, 3, 3, 1, 1, 1, 1) })
        {
            var x = Put(Compare.Random(g.InputLength, 1));
            var w = Put(Compare.Random(g.FilterLength, 2));
            var bias = Put(Compare.Random(g.K, 3));
            var y = Put(new float[g.OutputLength]);
            var dy = Put(Compare.Random(g.OutputLength, 4));
            var dx = Put(new float[g.InputLength]);
            var dw = Put(Compare.Random(g.FilterLength, 5));
            var db = Put(Compare.Random(g.K, 6));
            _device.Conv2dForward(g, x.dev, w.dev, bias.dev, y.dev);
            _reference.Conv2dForward(g, x.reference, w.reference, bias.reference, y.reference);
            _device.Conv2dBackwardData(g, dy.dev, w.dev, dx.dev);
            _reference.Conv2dBackwardData(g, dy.reference, w.reference, dx.reference);
            _device.Conv2dBackwardFilter(g, x.dev, dy.dev, dw.dev, db.dev);
            _reference.Conv2dBackwardFilter(g, x.reference, dy.reference, dw.reference, db.reference);
            AssertClose(y, 1e-4f, 1e-4f, $"GPU-shaped Conv2dForward {g}");
            AssertClose(dx, 1e-4f, 1e-4f, $"GPU-shaped Conv2dBackwardData {g}");
            AssertClose(dw, 1e-4f, 1e-4f * g.N * g.P, $"GPU-shaped Conv2dBackwardFilter dw {g}");
            AssertClose(db, 1e-4f, 1e-4f * g.N * g.P, $"GPU-shaped Conv2dBackwardFilter db {g}");
            foreach (var buffer in new[] { x, w, bias, y, dy, dx, dw, db }) { buffer.dev.Dispose(); buffer.reference.Dispose(); }
        }
    }
}
