using CnnNative.Devices;
using CnnNative.Devices.Native;

namespace CnnNative.Tests.Devices.Native;

/// <summary>
/// What is specific to the native device: loading libcnnnative, its version, turning its status codes into
/// exceptions that name the op and the shapes, and disposal. (Numerical agreement with the reference is the
/// conformance suite's job: "native" is in TestDevices.)
/// </summary>
public class NativeDeviceTests
{
    [Test]
    public void LibraryLoadsWithTheExpectedMajorVersion()
    {
        var library = NativeLibraryLoader.Load();
        Assert.That(library.Major, Is.EqualTo(NativeMethods.ExpectedMajorVersion));
        Assert.That(library.Path, Does.Contain("libcnnnative"));
        using var device = NativeDevice.Create(2);
        Assert.That(device.Info.Details["abi"], Is.EqualTo($"{library.Major}.{library.Minor}"));
    }

    [Test]
    public void DeviceCreateKnowsNativeAndHonoursTheThreadCount()
    {
        using var device = Device.Create("native", threads: 2);
        Assert.That(device, Is.InstanceOf<NativeDevice>());
        Assert.That(device.Name, Is.EqualTo("native"));
        Assert.That(device.Info.ComputeUnits, Is.EqualTo(2));
    }

    [Test]
    public void ZeroThreadsMeansEveryProcessor()
    {
        using var device = NativeDevice.Create(0);
        Assert.That(device.Info.ComputeUnits, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void NegativeThreadCountIsRejected()
        => Assert.Throws<ArgumentOutOfRangeException>(() => NativeDevice.Create(-1));

    /// <summary>Calls whose sizes do not fit their buffers (the native library finds it), with the text the message must name.</summary>
    public static IEnumerable<TestCaseData> TooShortBuffers()
    {
        yield return Case("Fill", d => d.Fill(Alloc(d, 9), 10, 1f), "length=10", "x=9");
        yield return Case("Gemm", d => d.Gemm(false, true, 4, 3, 2, 1f, Alloc(d, 8), Alloc(d, 6), 0f, Alloc(d, 11)), "m=4, n=3, k=2", "c=11");
        var conv = new Conv2dGeometry(2, 3, 8, 8, 4, 3, 3, padH: 1, padW: 1);
        yield return Case("Conv2dForward", d => d.Conv2dForward(conv, Alloc(d, conv.InputLength), Alloc(d, conv.FilterLength), null, Alloc(d, conv.OutputLength - 1)),
                          conv.ToString(), $"y={conv.OutputLength - 1}");
        yield return Case("Conv2dBackwardFilter", d => d.Conv2dBackwardFilter(conv, Alloc(d, conv.InputLength), Alloc(d, conv.OutputLength), Alloc(d, conv.FilterLength), Alloc(d, 3)),
                          conv.ToString(), "db=3");
        var pool = new Pool2dGeometry(2, 3, 8, 8, 2, 2, 2, 2);
        yield return Case("Pool2dBackward", d => d.Pool2dBackward(pool, PoolMode.Max, Alloc(d, pool.InputLength), Alloc(d, pool.OutputLength), Alloc(d, 5)),
                          pool.ToString(), "dx=5");
        yield return Case("SoftmaxCrossEntropy", d => d.SoftmaxCrossEntropy(4, 10, Alloc(d, 40), Alloc(d, 39), Alloc(d, 40), 1f), "rows=4, cols=10", "targets=39");
        yield return Case("AdamStep", d => d.AdamStep(5, Alloc(d, 5), Alloc(d, 5), Alloc(d, 5), Alloc(d, 4), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1), "length=5", "v=4");
    }

    private static TestCaseData Case(string op, Action<IDevice> call, string shapes, string buffer)
        => new TestCaseData(call, op, shapes, buffer).SetArgDisplayNames(op);

    // Buffers live until the device is disposed at the end of the test.
    private static DeviceBuffer Alloc(IDevice device, int length) => device.Allocate(length);

    [TestCaseSource(nameof(TooShortBuffers))]
    public void TooShortBufferBecomesAnArgumentExceptionNamingOpShapesAndBuffer(Action<IDevice> call, string op, string shapes, string buffer)
    {
        using var device = NativeDevice.Create(2);
        var ex = Assert.Throws<ArgumentException>(() => call(device));
        Assert.That(ex!.Message, Does.StartWith(op + "(").And.Contain(shapes).And.Contain(buffer));
    }

    /// <summary>Out-of-range non-size arguments, which the native library reports as CNN_E_INVALID_ARGUMENT.</summary>
    public static IEnumerable<TestCaseData> OutOfRangeArguments()
    {
        yield return new TestCaseData((Action<IDevice>)(d => d.AdamStep(4, Alloc(d, 4), Alloc(d, 4), Alloc(d, 4), Alloc(d, 4), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0)), "AdamStep")
            .SetArgDisplayNames("AdamStep step 0");
        yield return new TestCaseData((Action<IDevice>)(d => d.DropoutForward(4, 1f, 7, Alloc(d, 4), Alloc(d, 4), Alloc(d, 4))), "DropoutForward")
            .SetArgDisplayNames("DropoutForward rate 1");
        yield return new TestCaseData((Action<IDevice>)(d => d.ActivationForward((Activation)42, 4, Alloc(d, 4), Alloc(d, 4))), "ActivationForward")
            .SetArgDisplayNames("ActivationForward unknown activation");
        yield return new TestCaseData((Action<IDevice>)(d => d.Gemm(false, false, -1, 2, 2, 1f, Alloc(d, 4), Alloc(d, 4), 0f, Alloc(d, 4))), "Gemm")
            .SetArgDisplayNames("Gemm negative m");
    }

    [TestCaseSource(nameof(OutOfRangeArguments))]
    public void OutOfRangeArgumentBecomesArgumentOutOfRange(Action<IDevice> call, string op)
    {
        using var device = NativeDevice.Create(2);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => call(device));
        Assert.That(ex!.Message, Does.StartWith(op + "("));
    }

    [Test]
    public void SgdWithMomentumButNoVelocityIsANullArgument()
    {
        using var device = NativeDevice.Create(2);
        using var p = device.Allocate(4);
        using var g = device.Allocate(4);
        var ex = Assert.Throws<ArgumentNullException>(() => device.SgdStep(4, p, g, null, 0.1f, 0.9f, 0f, false));
        Assert.That(ex!.Message, Does.Contain("SgdStep").And.Contain("velocity=null"));
        Assert.DoesNotThrow(() => device.SgdStep(4, p, g, null, 0.1f, 0f, 0f, false));
    }

    [Test]
    public void UseAfterDisposeThrowsAndDisposeIsIdempotent()
    {
        var device = NativeDevice.Create(2);
        var x = device.Allocate(4);
        device.Fill(x, 4, 1f);
        device.Dispose();
        Assert.Throws<ObjectDisposedException>(() => device.Fill(x, 4, 1f));
        Assert.Throws<ObjectDisposedException>(() => device.Allocate(4));
        Assert.Throws<ObjectDisposedException>(() => device.SoftmaxForward(1, 4, x, x));
        Assert.DoesNotThrow(device.Dispose);
        x.Dispose();
    }

    [Test]
    public void OpsWorkThroughTheLibrary()
    {
        using var device = NativeDevice.Create(2);
        using var x = device.Allocate(6);
        device.Upload([1, 2, 3, 4, 5, 6], x);
        device.Scale(5, 2f, x);
        var back = new float[6];
        device.Download(x, back);
        Assert.That(back, Is.EqualTo(new float[] { 2, 4, 6, 8, 10, 6 }));
    }
}
