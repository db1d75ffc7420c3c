using CnnNative.Devices;

namespace CnnNative.Tests.Devices.Cpu;

/// <summary>
/// After a first training step has grown the workspaces, a step of device ops allocates no managed memory, on the
/// calling thread or on the device's workers (counted as <see cref="SteadyState"/> explains).
/// </summary>
[Category(Conformance.TestDevices.CpuCategory)]
public class CpuSteadyStateTests
{
    /// <summary>A 3-channel layer (implicit and direct paths), and a 16-channel one that takes Winograd for all three ops.</summary>
    [TestCase(1, 3, 8, 20)]
    [TestCase(2, 3, 8, 20)]
    [TestCase(1, 16, 16, 12)]
    [TestCase(2, 16, 16, 12)]
    public void ATrainingStepAllocatesNothingOnceWarm(int threads, int channels, int filters, int size)
    {
        var g = new Conv2dGeometry(4, channels, size, size, filters, 3, 3, 1, 1, 1, 1);
        var pool = new Pool2dGeometry(4, filters, size, size, 2, 2, 2, 2);
        int features = pool.OutputLength / pool.N, classes = 10;
        using var cpu = new CpuDevice(threads);
        var plan = cpu.PlanConv2d(g);
        Assert.That(new[] { plan.Forward, plan.BackwardData, plan.BackwardFilter },
                    channels >= 16 ? Is.All.EqualTo(CnnNative.Devices.Cpu.Conv2dAlgorithm.Winograd) : Has.None.EqualTo(CnnNative.Devices.Cpu.Conv2dAlgorithm.Winograd));
        var buffers = new List<DeviceBuffer>();
        DeviceBuffer Alloc(int n) { var b = cpu.Allocate(n); cpu.Upload(DeviceTestSupport.Random(n, buffers.Count), b); buffers.Add(b); return b; }
        var (x, w, bias, y, a) = (Alloc(g.InputLength), Alloc(g.FilterLength), Alloc(g.K), Alloc(g.OutputLength), Alloc(g.OutputLength));
        var (p, dense, logits, targets, grad) = (Alloc(pool.OutputLength), Alloc(features * classes), Alloc(g.N * classes), Alloc(g.N * classes), Alloc(g.N * classes));
        var (dp, da, dx, dw, db, ddense, m, v) = (Alloc(pool.OutputLength), Alloc(g.OutputLength), Alloc(g.InputLength), Alloc(g.FilterLength), Alloc(g.K), Alloc(features * classes), Alloc(g.FilterLength), Alloc(g.FilterLength));
        try
        {
            void Step()
            {
                cpu.Conv2dForward(g, x, w, bias, y);
                cpu.ActivationForward(Activation.ReLU, g.OutputLength, y, a);
                cpu.Pool2dForward(pool, PoolMode.Max, a, p);
                cpu.Gemm(false, false, g.N, classes, features, 1, p, dense, 0, logits);
                cpu.SoftmaxCrossEntropy(g.N, classes, logits, targets, grad, 0.25f);
                cpu.Gemm(true, false, features, classes, g.N, 1, p, grad, 1, ddense);
                cpu.Gemm(false, true, g.N, features, classes, 1, grad, dense, 0, dp);
                cpu.Pool2dBackward(pool, PoolMode.Max, a, dp, da);
                cpu.ActivationBackward(Activation.ReLU, g.OutputLength, a, da, da);
                cpu.Conv2dBackwardData(g, da, w, dx);
                cpu.Conv2dBackwardFilter(g, x, da, dw, db);
                cpu.AdamStep(g.FilterLength, w, dw, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1);
                cpu.CountCorrect(g.N, classes, logits, targets);
            }
            SteadyState.AssertStepsAllocateNothing(Step);
        }
        finally
        {
            foreach (var b in buffers) b.Dispose();
        }
    }
}
