using CnnNative.Devices;
using CnnNative.Devices.Native;

namespace CnnNative.Tests.Devices.Native;

/// <summary>
/// What is specific to the native device: loading libcnnnative, its version, the library's own checks and turning
/// its status codes into exceptions. (Numerical agreement with the reference and the argument checks every device
/// shares are the conformance suites' job: "native" is in TestDevices.)
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

    /// <summary>DeviceInfo names the instruction set the kernels really use: the widest the processor runs by default.</summary>
    [Test]
    public void TheDefaultIsTheWidestInstructionSetAndInfoSaysSo()
    {
        using var device = NativeDevice.Create(2);
        bool avx512 = NativeDevice.IsSupported(NativeIsa.Avx512);
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            Assert.That(avx512, Is.True, "where .NET runs AVX-512 the library must see it too (it may see more: DOTNET_EnableAVX512=0)");
        Assert.That(device.Isa, Is.EqualTo(avx512 ? NativeIsa.Avx512 : NativeIsa.Avx2));
        Assert.That(device.Name, Is.EqualTo("native"));
        Assert.That(device.Info.Details["isa"], Does.StartWith(avx512 ? "AVX-512F (512-bit kernels)" : "AVX2+FMA (256-bit kernels)"));
        Assert.That(device.Info.Description, Does.Contain(device.Info.Details["isa"]));
    }

    [Test]
    public void Avx2CanBeForcedByNameOrOption()
    {
        using var byName = Device.Create("native:avx2", threads: 2);
        using var byOption = NativeDevice.Create(2, NativeIsa.Avx2);
        using var byPublicOption = Device.Create(NativeIsa.Avx2, threads: 2);
        foreach (var device in new[] { (NativeDevice)byName, byOption, (NativeDevice)byPublicOption })
        {
            Assert.That(device.Isa, Is.EqualTo(NativeIsa.Avx2));
            Assert.That(device.Name, Is.EqualTo("native:avx2"));
            Assert.That(device.Info.Name, Is.EqualTo("native:avx2"), "Info.Name is what Device.Create accepts");
            Assert.That(device.Info.Details["isa"], Does.StartWith("AVX2+FMA"));
            Assert.That(device.Info.Details["isa"].Contains("forced"), Is.EqualTo(NativeDevice.IsSupported(NativeIsa.Avx512)));
        }
    }

    [Test]
    public void Avx512IsGivenWhereThisProcessorHasItAndRefusedByNameElsewhere()
    {
        if (NativeDevice.IsSupported(NativeIsa.Avx512))
        {
            using var device = Device.Create("native:avx512", threads: 2);
            Assert.That(((NativeDevice)device).Isa, Is.EqualTo(NativeIsa.Avx512));
        }
        else
        {
            var e = Assert.Throws<DeviceNotFoundException>(() => Device.Create("native:avx512", threads: 2))!;
            Assert.That(e.Message, Does.Contain("AVX-512F"));
        }
    }

    [Test]
    public unsafe void AnUnknownInstructionSetIsRejectedOnBothSides()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeDevice.Create(2, (NativeIsa)7));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeDevice.IsSupported((NativeIsa)7));
        Assert.Throws<DeviceNotFoundException>(() => Device.Create("native:sse2"));
        NativeLibraryLoader.Load();
        nint ctx = 1;
        Assert.That(NativeMethods.ContextCreateIsa(1, 7, &ctx), Is.EqualTo(NativeMethods.InvalidArgument));
        Assert.That(ctx, Is.EqualTo((nint)0));
    }

    /// <summary>
    /// The C library checks every call again (DeviceBase validates first, so these are reached only by calling the
    /// ABI directly): a short buffer, a negative length, a NULL pointer, an unknown activation, each with its status.
    /// </summary>
    [Test]
    public unsafe void TheLibraryChecksEveryCallItselfToo()
    {
        NativeLibraryLoader.Load();
        nint ctx;
        Assert.That(NativeMethods.ContextCreate(1, &ctx), Is.EqualTo(NativeMethods.Ok));
        try
        {
            float* x = stackalloc float[8];
            Assert.That(NativeMethods.Fill(ctx, 9, 1f, x, 8), Is.EqualTo(NativeMethods.BufferTooSmall));
            Assert.That(NativeMethods.Fill(ctx, -1, 1f, x, 8), Is.EqualTo(NativeMethods.InvalidSize));
            Assert.That(NativeMethods.Fill(ctx, 4, 1f, null, 8), Is.EqualTo(NativeMethods.NullPointer));
            Assert.That(NativeMethods.ActivationForward(ctx, 42, 4, x, 8, x, 8), Is.EqualTo(NativeMethods.InvalidArgument));
            Assert.That(NativeMethods.AdamStep(ctx, 4, x, 8, x, 8, x, 8, x, 8, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0), Is.EqualTo(NativeMethods.InvalidArgument));
            Assert.That(NativeMethods.Fill(ctx, 8, 2f, x, 8), Is.EqualTo(NativeMethods.Ok));
            Assert.That(x[7], Is.EqualTo(2f));
        }
        finally { NativeMethods.ContextDestroy(ctx); }
    }

    /// <summary>Each status becomes the exception the contract promises, naming the op and the status as the header spells it.</summary>
    [TestCase(NativeMethods.BufferTooSmall, typeof(ArgumentException), "CNN_E_BUFFER_TOO_SMALL")]
    [TestCase(NativeMethods.NullPointer, typeof(ArgumentNullException), "CNN_E_NULL_POINTER")]
    [TestCase(NativeMethods.InvalidSize, typeof(ArgumentOutOfRangeException), "CNN_E_INVALID_SIZE")]
    [TestCase(NativeMethods.InvalidArgument, typeof(ArgumentOutOfRangeException), "CNN_E_INVALID_ARGUMENT")]
    [TestCase(NativeMethods.OutOfMemory, typeof(InsufficientMemoryException), "CNN_E_OUT_OF_MEMORY")]
    [TestCase(NativeMethods.UnsupportedCpu, typeof(PlatformNotSupportedException), "CNN_E_UNSUPPORTED_CPU")]
    [TestCase(99, typeof(InvalidOperationException), "unknown")]
    public void StatusesBecomeExceptionsInOnePlace(int status, Type type, string name)
    {
        var e = Assert.Throws(type, () => NativeStatus.Check(status, "Conv2dForward"))!;
        Assert.That(e.Message, Does.StartWith("Conv2dForward: libcnnnative returned").And.Contain(name));
        Assert.DoesNotThrow(() => NativeStatus.Check(NativeMethods.Ok, "Fill"));
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
