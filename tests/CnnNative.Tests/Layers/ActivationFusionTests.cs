using CnnNative.Devices;
using CnnNative.Devices.Reference;
using CnnNative.Layers;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Tests.Devices;
using CnnNative.Training;

namespace CnnNative.Tests.Layers;

/// <summary>
/// Sequential fuses Conv2d → ReLU and Linear → ReLU: the layer applies the activation in its device op and the ReLU
/// layer passes its input through, masking dy with y &gt; 0 in backward as before. Nothing computed may change.
/// </summary>
public class ActivationFusionTests
{
    private const string Spec = "conv6k3p1-relu-maxpool2-conv4k3-sigmoid-flatten-dense12-relu-dense5nobias-relu-dense3";

    private static Sequential Build(IDevice device) => ModelBuilder.Build(Spec, device, new Shape(2, 10, 10), seed: 7);

    private static float[] Images(int n) => Enumerable.Range(0, n * 200).Select(i => MathF.Sin(i * 0.37f)).ToArray();

    [Test]
    public void ReluAfterConvolutionOrDenseIsFusedOtherActivationsAreNot()
    {
        using var cpu = new CpuDevice(1);
        using var model = Build(cpu);
        var fused = model.Layers.OfType<ActivationLayer>().Select(a => (a.Spec, a.FusedIntoPrevious)).ToArray();
        Assert.That(fused, Is.EqualTo(new[] { ("relu", true), ("sigmoid", false), ("relu", true), ("relu", true) }));
    }

    [Test]
    public void FusedForwardAndBackwardGiveTheBitsOfTheTwoOps()
    {
        using var fusedDevice = new CpuDevice(2);
        using var twoOpsDevice = new CpuDevice(new CpuDeviceOptions { Threads = 2, Paths = CpuPaths.All & ~CpuPaths.FusedActivation });
        using var reference = new ReferenceDevice();
        var results = new List<float[][]>();
        foreach (IDevice device in new IDevice[] { fusedDevice, twoOpsDevice, reference })
        {
            using var model = Build(device);
            using var x = Tensor.FromSpan(device, new Shape(4, 2, 10, 10), Images(4));
            var y = model.Forward(x, training: true).ToArray();
            using var dy = Tensor.FromSpan(device, new Shape(4, 3), Enumerable.Range(0, 12).Select(i => (i % 5) - 2f).ToArray());
            model.Backward(dy);
            results.Add([y, .. model.Parameters.Select(p => p.Gradient.ToArray())]);
        }
        Compare.BitwiseEqual(results[0], results[1], "fused ReLU vs convolution/bias then the activation op");
        for (int i = 0; i < results[0].Length; i++)
            Compare.Close(results[0][i], results[2][i], 1e-4f, 1e-5f, $"output/gradient {i} vs the reference device");
    }
}
