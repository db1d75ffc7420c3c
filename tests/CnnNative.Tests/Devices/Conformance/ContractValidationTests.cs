using CnnNative.Devices;
using CnnNative.Devices.Reference;

namespace CnnNative.Tests.Devices.Conformance;

/// <summary>
/// The contract <see cref="DeviceBase"/> checks once, on every device including the reference: every buffer of
/// every op too short, null, of another device, or disposed; negative and zero sizes; unknown enum values;
/// out-of-range arguments; a default geometry; use after the device is disposed. Each failure must be the documented
/// exception naming the op and the argument.
/// </summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithReference))]
public class ContractValidationTests(string deviceName)
{
    private IDevice _device = null!;
    private readonly List<DeviceBuffer> _buffers = [];

    [OneTimeSetUp]
    public void Open() => _device = TestDevices.Create(deviceName);

    [OneTimeTearDown]
    public void Close() => _device.Dispose();

    [TearDown]
    public void FreeBuffers()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
    }

    private static readonly Conv2dGeometry Conv = new(1, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1);     // x 32, w 54, y 48
    private static readonly Pool2dGeometry Pool = new(1, 2, 4, 4, 2, 2, 2, 2);              // x 32, y 8

    /// <summary>
    /// One small valid call per op: its buffers' names (as the op's parameters are called), the lengths it needs,
    /// which buffers may be null, and the call itself.
    /// </summary>
    public sealed record OpCall(string Op, string[] Names, int[] Needs, Action<IDevice, DeviceBuffer?[]> Call, int[]? Optional = null)
    {
        public override string ToString() => Op;
        public bool IsOptional(int i) => Optional?.Contains(i) == true;
    }

    public static IEnumerable<OpCall> Calls()
    {
        yield return new("Upload", ["destination"], [4], (d, b) => d.Upload(new float[4], b[0]!));
        yield return new("Download", ["source"], [4], (d, b) => d.Download(b[0]!, new float[4]));
        yield return new("Fill", ["x"], [4], (d, b) => d.Fill(b[0]!, 4, 1f));
        yield return new("Copy", ["source", "destination"], [4, 4], (d, b) => d.Copy(b[0]!, b[1]!, 4));
        yield return new("Axpy", ["x", "y"], [4, 4], (d, b) => d.Axpy(4, 2f, b[0]!, b[1]!));
        yield return new("Scale", ["x"], [4], (d, b) => d.Scale(4, 2f, b[0]!));
        yield return new("Multiply", ["a", "b", "y"], [4, 4, 4], (d, b) => d.Multiply(4, b[0]!, b[1]!, b[2]!));
        yield return new("DropoutForward", ["x", "y", "mask"], [4, 4, 4], (d, b) => d.DropoutForward(4, 0.5f, 1, b[0]!, b[1]!, b[2]!));
        yield return new("ActivationForward", ["x", "y"], [4, 4], (d, b) => d.ActivationForward(Activation.Tanh, 4, b[0]!, b[1]!));
        yield return new("ActivationBackward", ["y", "dy", "dx"], [4, 4, 4], (d, b) => d.ActivationBackward(Activation.ReLU, 4, b[0]!, b[1]!, b[2]!));
        yield return new("Gemm", ["a", "b", "c"], [8, 12, 6], (d, b) => d.Gemm(false, true, 2, 3, 4, 1f, b[0]!, b[1]!, 0f, b[2]!));
        yield return new("AddBiasRows", ["bias", "y"], [3, 6], (d, b) => d.AddBiasRows(2, 3, b[0]!, b[1]!));
        yield return new("AddBiasRows", ["bias", "y"], [3, 6], (d, b) => d.AddBiasRows(2, 3, b[0]!, b[1]!, Activation.ReLU));
        yield return new("SumRows", ["x", "sums"], [6, 3], (d, b) => d.SumRows(2, 3, b[0]!, b[1]!));
        yield return new("Conv2dForward", ["x", "w", "bias", "y"], [32, 54, 3, 48], (d, b) => d.Conv2dForward(Conv, b[0]!, b[1]!, b[2], b[3]!), [2]);
        yield return new("Conv2dForward", ["x", "w", "bias", "y"], [32, 54, 3, 48], (d, b) => d.Conv2dForward(Conv, b[0]!, b[1]!, b[2], b[3]!, Activation.ReLU), [2]);
        yield return new("Conv2dBackwardData", ["dy", "w", "dx"], [48, 54, 32], (d, b) => d.Conv2dBackwardData(Conv, b[0]!, b[1]!, b[2]!));
        yield return new("Conv2dBackwardFilter", ["x", "dy", "dw", "db"], [32, 48, 54, 3], (d, b) => d.Conv2dBackwardFilter(Conv, b[0]!, b[1]!, b[2]!, b[3]), [3]);
        yield return new("Pool2dForward", ["x", "y"], [32, 8], (d, b) => d.Pool2dForward(Pool, PoolMode.Max, b[0]!, b[1]!));
        yield return new("Pool2dBackward", ["x", "dy", "dx"], [32, 8, 32], (d, b) => d.Pool2dBackward(Pool, PoolMode.Average, b[0]!, b[1]!, b[2]!));
        yield return new("Pool2dBackward", ["x", "dy", "dx"], [32, 8, 32], (d, b) => d.Pool2dBackward(Pool, PoolMode.Max, b[0]!, b[1]!, b[2]!, Activation.ReLU));
        yield return new("BatchNormForwardTraining", ["x", "gamma", "beta", "y", "saveMean", "saveInvStd", "runningMean", "runningVar"],
                         [12, 3, 3, 12, 3, 3, 3, 3], (d, b) => d.BatchNormForwardTraining(2, 3, 2, 1e-5f, 0.1f, b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!));
        yield return new("BatchNormForwardInference", ["x", "gamma", "beta", "runningMean", "runningVar", "y"],
                         [12, 3, 3, 3, 3, 12], (d, b) => d.BatchNormForwardInference(2, 3, 2, 1e-5f, b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!));
        yield return new("BatchNormBackward", ["x", "dy", "gamma", "saveMean", "saveInvStd", "dx", "dgamma", "dbeta"],
                         [12, 12, 3, 3, 3, 12, 3, 3], (d, b) => d.BatchNormBackward(2, 3, 2, b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!));
        yield return new("SoftmaxForward", ["x", "y"], [6, 6], (d, b) => d.SoftmaxForward(2, 3, b[0]!, b[1]!));
        yield return new("SoftmaxBackward", ["y", "dy", "dx"], [6, 6, 6], (d, b) => d.SoftmaxBackward(2, 3, b[0]!, b[1]!, b[2]!));
        yield return new("SoftmaxCrossEntropy", ["logits", "targets", "gradient"], [6, 6, 6], (d, b) => d.SoftmaxCrossEntropy(2, 3, b[0]!, b[1]!, b[2]!, 1f));
        yield return new("SquaredError", ["prediction", "target", "gradient"], [4, 4, 4], (d, b) => d.SquaredError(4, b[0]!, b[1]!, b[2]!, 1f));
        yield return new("CountCorrect", ["scores", "targets"], [6, 6], (d, b) => d.CountCorrect(2, 3, b[0]!, b[1]!));
        yield return new("SgdStep", ["param", "grad", "velocity"], [4, 4, 4], (d, b) => d.SgdStep(4, b[0]!, b[1]!, b[2], 0.1f, 0.9f, 0f, true));
        yield return new("AdamStep", ["param", "grad", "m", "v"], [4, 4, 4, 4], (d, b) => d.AdamStep(4, b[0]!, b[1]!, b[2]!, b[3]!, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1));
    }

    private DeviceBuffer Alloc(IDevice device, int length)
    {
        var b = device.Allocate(length);
        _buffers.Add(b);
        return b;
    }

    private DeviceBuffer?[] Buffers(OpCall c) => c.Needs.Select(n => (DeviceBuffer?)Alloc(_device, n)).ToArray();

    [TestCaseSource(nameof(Calls))]
    public void TheValidCallSucceeds(OpCall c) => Assert.DoesNotThrow(() => c.Call(_device, Buffers(c)));

    [TestCaseSource(nameof(Calls))]
    public void ATooShortBufferIsNamedWithItsLengthAndTheNeed(OpCall c)
    {
        for (int i = 0; i < c.Needs.Length; i++)
        {
            var buffers = Buffers(c);
            buffers[i] = Alloc(_device, c.Needs[i] - 1);
            var e = Assert.Throws<ArgumentException>(() => c.Call(_device, buffers), $"{c.Op} {c.Names[i]}")!;
            Assert.That(e.ParamName, Is.EqualTo(c.Names[i]));
            Assert.That(e.Message, Does.StartWith(c.Op + "(").And.Contain($"'{c.Names[i]}' holds {c.Needs[i] - 1} elements but the op needs {c.Needs[i]}"));
        }
    }

    [TestCaseSource(nameof(Calls))]
    public void ANullBufferIsNamed(OpCall c)
    {
        for (int i = 0; i < c.Needs.Length; i++)
        {
            var buffers = Buffers(c);
            buffers[i] = null;
            if (c.IsOptional(i)) { Assert.DoesNotThrow(() => c.Call(_device, buffers), $"{c.Op} without {c.Names[i]}"); continue; }
            var e = Assert.Throws<ArgumentNullException>(() => c.Call(_device, buffers), $"{c.Op} {c.Names[i]}")!;
            Assert.That(e.ParamName, Is.EqualTo(c.Names[i]));
            Assert.That(e.Message, Does.StartWith(c.Op));
        }
    }

    [TestCaseSource(nameof(Calls))]
    public void ABufferOfAnotherDeviceIsNamedWithBothDevices(OpCall c)
    {
        using var other = new ReferenceDevice();
        for (int i = 0; i < c.Needs.Length; i++)
        {
            var buffers = Buffers(c);
            buffers[i] = other.Allocate(c.Needs[i]);
            var e = Assert.Throws<ArgumentException>(() => c.Call(_device, buffers), $"{c.Op} {c.Names[i]}")!;
            string owner = deviceName == "reference" ? "another 'reference' device instance" : "device 'reference'";
            Assert.That(e.Message, Does.StartWith(c.Op).And.Contain($"'{c.Names[i]}'").And.Contain(owner).And.Contain($"'{_device.Name}'"));
        }
    }

    [TestCaseSource(nameof(Calls))]
    public void ADisposedBufferIsRefused(OpCall c)
    {
        for (int i = 0; i < c.Needs.Length; i++)
        {
            var buffers = Buffers(c);
            buffers[i]!.Dispose();
            var e = Assert.Throws<ObjectDisposedException>(() => c.Call(_device, buffers), $"{c.Op} {c.Names[i]}")!;
            Assert.That(e.Message, Does.Contain(c.Op).And.Contain($"'{c.Names[i]}'").And.Contain("after it was disposed"));
        }
    }

    [Test]
    public void ADisposedDeviceRefusesEveryOpAndFreesItsBuffers()
    {
        var device = TestDevices.Create(deviceName);
        var kept = Calls().Select(c => (c, c.Needs.Select(n => (DeviceBuffer?)device.Allocate(n)).ToArray())).ToList();
        device.Dispose();
        foreach (var (c, buffers) in kept)
        {
            var e = Assert.Throws<ObjectDisposedException>(() => c.Call(device, buffers), c.Op)!;
            Assert.That(e.Message, Does.StartWith(c.Op).And.Contain("was used after it was disposed"));
            Assert.That(buffers.All(b => b!.IsDisposed), $"{c.Op}: the device's buffers were freed with it");
        }
        Assert.Throws<ObjectDisposedException>(() => device.Allocate(1));
        Assert.Throws<ObjectDisposedException>(device.Synchronize);
        Assert.DoesNotThrow(device.Dispose, "twice is harmless");
        foreach (var (_, buffers) in kept)
            foreach (var b in buffers) Assert.DoesNotThrow(b!.Dispose, "a buffer outliving its device disposes cleanly");
    }

    [Test]
    public void ABufferFreedWithItsDeviceSaysSo()
    {
        var device = TestDevices.Create(deviceName);
        var b = device.Allocate(4);
        device.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(b.ThrowIfDisposed)!;
        Assert.That(e.Message, Does.Contain("after its device was disposed"));
    }

    /// <summary>Calls with one negative size, and the size's name.</summary>
    public static IEnumerable<TestCaseData> NegativeSizes()
    {
        TestCaseData Case(string name, string param, Action<IDevice, DeviceBuffer> call) => new TestCaseData(call, param).SetArgDisplayNames(name);
        yield return Case("Allocate", "length", (d, b) => d.Allocate(-1));
        yield return Case("Upload offset", "offset", (d, b) => d.Upload(new float[1], b, -1));
        yield return Case("Download offset", "offset", (d, b) => d.Download(b, new float[1], -1));
        yield return Case("Fill", "length", (d, b) => d.Fill(b, -1, 0));
        yield return Case("Copy", "length", (d, b) => d.Copy(b, b, -1));
        yield return Case("Axpy", "length", (d, b) => d.Axpy(-1, 1, b, b));
        yield return Case("Scale", "length", (d, b) => d.Scale(-1, 1, b));
        yield return Case("Multiply", "length", (d, b) => d.Multiply(-1, b, b, b));
        yield return Case("DropoutForward", "length", (d, b) => d.DropoutForward(-1, 0.5f, 1, b, b, b));
        yield return Case("ActivationForward", "length", (d, b) => d.ActivationForward(Activation.ReLU, -1, b, b));
        yield return Case("ActivationBackward", "length", (d, b) => d.ActivationBackward(Activation.ReLU, -1, b, b, b));
        yield return Case("Gemm m", "m", (d, b) => d.Gemm(false, false, -1, 2, 2, 1, b, b, 0, b));
        yield return Case("Gemm n", "n", (d, b) => d.Gemm(false, false, 2, -1, 2, 1, b, b, 0, b));
        yield return Case("Gemm k", "k", (d, b) => d.Gemm(false, false, 2, 2, -1, 1, b, b, 0, b));
        yield return Case("AddBiasRows rows", "rows", (d, b) => d.AddBiasRows(-1, 2, b, b));
        yield return Case("SumRows cols", "cols", (d, b) => d.SumRows(2, -1, b, b));
        yield return Case("BatchNormForwardTraining n", "n", (d, b) => d.BatchNormForwardTraining(-1, 2, 2, 1e-5f, 0.1f, b, b, b, b, b, b, b, b));
        yield return Case("BatchNormForwardInference channels", "channels", (d, b) => d.BatchNormForwardInference(2, -2, 2, 1e-5f, b, b, b, b, b, b));
        yield return Case("BatchNormBackward spatial", "spatial", (d, b) => d.BatchNormBackward(2, 2, -3, b, b, b, b, b, b, b, b));
        yield return Case("SoftmaxForward rows", "rows", (d, b) => d.SoftmaxForward(-3, 2, b, b));
        yield return Case("SoftmaxBackward cols", "cols", (d, b) => d.SoftmaxBackward(2, -2, b, b, b));
        yield return Case("SoftmaxCrossEntropy rows", "rows", (d, b) => d.SoftmaxCrossEntropy(-1, 2, b, b, b, 1));
        yield return Case("SquaredError", "length", (d, b) => d.SquaredError(-1, b, b, b, 1));
        yield return Case("CountCorrect cols", "cols", (d, b) => d.CountCorrect(1, -1, b, b));
        yield return Case("SgdStep", "length", (d, b) => d.SgdStep(-1, b, b, b, 0.1f, 0.9f, 0, false));
        yield return Case("AdamStep", "length", (d, b) => d.AdamStep(-1, b, b, b, b, 0.1f, 0.9f, 0.99f, 1e-8f, 0, 1));
    }

    [TestCaseSource(nameof(NegativeSizes))]
    public void ANegativeSizeIsRefusedByName(Action<IDevice, DeviceBuffer> call, string param)
    {
        var b = Alloc(_device, 16);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => call(_device, b))!;
        Assert.That(e.ParamName, Is.EqualTo(param));
        Assert.That(e.Message, Does.Contain($"{param} must be non-negative"));
    }

    /// <summary>Calls with nothing to compute (a size of 0): they validate, touch no element and return 0.</summary>
    public static IEnumerable<TestCaseData> ZeroSizes()
    {
        TestCaseData Case(string name, Func<IDevice, DeviceBuffer, double> call) => new TestCaseData(call).SetArgDisplayNames(name);
        yield return Case("Upload", (d, b) => { d.Upload(ReadOnlySpan<float>.Empty, b, 4); return 0; });
        yield return Case("Download", (d, b) => { d.Download(b, Span<float>.Empty, 4); return 0; });
        yield return Case("Fill", (d, b) => { d.Fill(b, 0, 1); return 0; });
        yield return Case("Copy", (d, b) => { d.Copy(b, b, 0); return 0; });
        yield return Case("Axpy", (d, b) => { d.Axpy(0, 1, b, b); return 0; });
        yield return Case("Scale", (d, b) => { d.Scale(0, 2, b); return 0; });
        yield return Case("Multiply", (d, b) => { d.Multiply(0, b, b, b); return 0; });
        yield return Case("DropoutForward", (d, b) => { d.DropoutForward(0, 0.5f, 1, b, b, b); return 0; });
        yield return Case("ActivationForward", (d, b) => { d.ActivationForward(Activation.Sigmoid, 0, b, b); return 0; });
        yield return Case("ActivationBackward", (d, b) => { d.ActivationBackward(Activation.Tanh, 0, b, b, b); return 0; });
        yield return Case("Gemm m=0", (d, b) => { d.Gemm(false, false, 0, 2, 2, 1, b, b, 0, b); return 0; });
        yield return Case("Gemm n=0", (d, b) => { d.Gemm(true, true, 2, 0, 2, 1, b, b, 0, b); return 0; });
        yield return Case("AddBiasRows rows=0", (d, b) => { d.AddBiasRows(0, 2, b, b); return 0; });
        yield return Case("SumRows cols=0", (d, b) => { d.SumRows(2, 0, b, b); return 0; });
        yield return Case("BatchNormForwardTraining n=0", (d, b) => { d.BatchNormForwardTraining(0, 2, 2, 1e-5f, 0.1f, b, b, b, b, b, b, b, b); return 0; });
        yield return Case("BatchNormForwardInference spatial=0", (d, b) => { d.BatchNormForwardInference(2, 2, 0, 1e-5f, b, b, b, b, b, b); return 0; });
        yield return Case("BatchNormBackward channels=0", (d, b) => { d.BatchNormBackward(2, 0, 2, b, b, b, b, b, b, b, b); return 0; });
        yield return Case("SoftmaxForward rows=0", (d, b) => { d.SoftmaxForward(0, 3, b, b); return 0; });
        yield return Case("SoftmaxBackward cols=0", (d, b) => { d.SoftmaxBackward(3, 0, b, b, b); return 0; });
        yield return Case("SoftmaxCrossEntropy rows=0", (d, b) => d.SoftmaxCrossEntropy(0, 3, b, b, b, 1));
        yield return Case("SoftmaxCrossEntropy cols=0", (d, b) => d.SoftmaxCrossEntropy(3, 0, b, b, b, 1));
        yield return Case("SquaredError", (d, b) => d.SquaredError(0, b, b, b, 1));
        yield return Case("CountCorrect rows=0", (d, b) => d.CountCorrect(0, 3, b, b));
        yield return Case("CountCorrect cols=0", (d, b) => d.CountCorrect(3, 0, b, b));
        yield return Case("SgdStep", (d, b) => { d.SgdStep(0, b, b, b, 0.1f, 0.9f, 0, false); return 0; });
        yield return Case("AdamStep", (d, b) => { d.AdamStep(0, b, b, b, b, 0.1f, 0.9f, 0.99f, 1e-8f, 0, 1); return 0; });
    }

    [TestCaseSource(nameof(ZeroSizes))]
    public void AZeroSizedOpTouchesNothingAndReturnsZero(Func<IDevice, DeviceBuffer, double> call)
    {
        var sentinel = new float[] { 7, -3, 0.5f, 11 };
        var b = Alloc(_device, 4);
        _device.Upload(sentinel, b);
        Assert.That(call(_device, b), Is.Zero);
        var after = new float[4];
        _device.Download(b, after);
        Assert.That(after, Is.EqualTo(sentinel));
    }

    /// <summary>Enum values outside their type, out-of-range scalars, default geometry; the exception type and the argument's name.</summary>
    public static IEnumerable<TestCaseData> BadArguments()
    {
        TestCaseData Case(string name, Type type, string param, Action<IDevice, DeviceBuffer> call)
            => new TestCaseData(call, type, param).SetArgDisplayNames(name);
        var range = typeof(ArgumentOutOfRangeException);
        yield return Case("activation 42 forward", range, "f", (d, b) => d.ActivationForward((Activation)42, 4, b, b));
        yield return Case("activation -1 backward", range, "f", (d, b) => d.ActivationBackward((Activation)(-1), 4, b, b, b));
        yield return Case("fused activation 9 in conv forward", range, "activation", (d, b) => d.Conv2dForward(Conv, b, b, null, b, (Activation)9));
        yield return Case("fused activation -3 in bias rows", range, "activation", (d, b) => d.AddBiasRows(2, 3, b, b, (Activation)(-3)));
        yield return Case("pool mode 7 forward", range, "mode", (d, b) => d.Pool2dForward(Pool, (PoolMode)7, b, b));
        yield return Case("pool mode 2 backward", range, "mode", (d, b) => d.Pool2dBackward(Pool, (PoolMode)2, b, b, b));
        yield return Case("pool mode 5 backward through ReLU", range, "mode", (d, b) => d.Pool2dBackward(Pool, (PoolMode)5, b, b, b, Activation.ReLU));
        yield return Case("activation 6 before pooling", range, "activation", (d, b) => d.Pool2dBackward(Pool, PoolMode.Max, b, b, b, (Activation)6));
        yield return Case("dropout rate 1", range, "rate", (d, b) => d.DropoutForward(4, 1f, 1, b, b, b));
        yield return Case("dropout rate -0.5", range, "rate", (d, b) => d.DropoutForward(4, -0.5f, 1, b, b, b));
        yield return Case("dropout rate NaN", range, "rate", (d, b) => d.DropoutForward(4, float.NaN, 1, b, b, b));
        yield return Case("adam step 0", range, "step", (d, b) => d.AdamStep(4, b, b, b, b, 0.1f, 0.9f, 0.99f, 1e-8f, 0, 0));
        yield return Case("adam step -2", range, "step", (d, b) => d.AdamStep(4, b, b, b, b, 0.1f, 0.9f, 0.99f, 1e-8f, 0, -2));
        yield return Case("batch norm eps 0", range, "eps", (d, b) => d.BatchNormForwardTraining(2, 2, 2, 0f, 0.1f, b, b, b, b, b, b, b, b));
        yield return Case("batch norm eps NaN", range, "eps", (d, b) => d.BatchNormForwardInference(2, 2, 2, float.NaN, b, b, b, b, b, b));
        yield return Case("batch norm eps infinite", range, "eps", (d, b) => d.BatchNormForwardInference(2, 2, 2, float.PositiveInfinity, b, b, b, b, b, b));
        yield return Case("batch norm momentum 1.5", range, "momentum", (d, b) => d.BatchNormForwardTraining(2, 2, 2, 1e-5f, 1.5f, b, b, b, b, b, b, b, b));
        yield return Case("batch norm momentum -0.1", range, "momentum", (d, b) => d.BatchNormForwardTraining(2, 2, 2, 1e-5f, -0.1f, b, b, b, b, b, b, b, b));
        yield return Case("default conv geometry", typeof(ArgumentException), "g", (d, b) => d.Conv2dForward(default, b, b, null, b));
        yield return Case("default pool geometry", typeof(ArgumentException), "g", (d, b) => d.Pool2dBackward(default, PoolMode.Max, b, b, b));
    }

    [TestCaseSource(nameof(BadArguments))]
    public void ABadArgumentIsRefusedByName(Action<IDevice, DeviceBuffer> call, Type type, string param)
    {
        var b = Alloc(_device, 64);
        var e = (ArgumentException)Assert.Throws(type, () => call(_device, b))!;
        Assert.That(e.ParamName, Is.EqualTo(param));
    }

    [Test]
    public void SgdWithoutMomentumNeedsNoVelocity()
    {
        var p = Alloc(_device, 4);
        var g = Alloc(_device, 4);
        Assert.DoesNotThrow(() => _device.SgdStep(4, p, g, null, 0.1f, 0f, 0f, false));
    }
}
