using CnnNative.Onnx;
using CnnNative.Tensors;
using CnnNative.Tests.Devices.Conformance;

namespace CnnNative.Tests.Onnx;

/// <summary>
/// A model CnnNative's exporter did not write, assembled the way PyTorch exports a small CNN (opset 17, MatMul + Add,
/// Reshape(0, -1) from a Constant, SAME padding, GlobalAveragePool, Gemm without transB and with alpha/beta, Identity,
/// Dropout with a ratio input), imported and run on every device against ONNX Runtime on real images.
/// </summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Names))]
public class ForeignOnnxModelTests(string deviceName)
{
    internal static byte[] PyTorchStyleModel()
    {
        var g = new HandBuiltOnnx();
        // (N,1,28,28) -> conv 6 filters 3x5, stride 2, pads (1,2) -> (N,6,14,14)
        g.Node("Conv", g.Weights("conv1.weight", [6, 1, 3, 5]), g.Weights("conv1.bias", [6], raw: false))
         .Ints("kernel_shape", 3, 5).Ints("strides", 2, 2).Ints("pads", 1, 2, 1, 2).Ints("dilations", 1, 1).Int("group", 1);
        g.Node("Relu");
        g.Node("MaxPool").Ints("kernel_shape", 3, 3).Ints("strides", 2, 2);                      // overlapping: (N,6,6,6)
        g.Node("Conv", g.Weights("conv2.weight", [8, 6, 3, 3])).String("auto_pad", "SAME_UPPER"); // (N,8,6,6), no bias
        g.Node("Sigmoid");
        g.Node("GlobalAveragePool");                                                             // (N,8,1,1)
        g.Node("Reshape", g.ConstantInts("shape", 0, -1));                                       // (N,8)
        g.Node("MatMul", g.Weights("fc1.weight_t", [8, 16], scale: 1.5f));
        g.Node("Add", g.Weights("fc1.bias", [16]));
        g.Node("Tanh");
        g.Node("Identity");
        g.Node("Dropout", g.Floats("ratio", [], [0.3f]));
        g.Node("Gemm", g.Weights("fc2.weight_t", [16, 10], raw: false, scale: 2f), g.Weights("fc2.bias", [1, 10]))
         .Float("alpha", 0.75f).Float("beta", 2f);                                              // transB = 0: B is (16, 10)
        g.Node("Softmax").Int("axis", -1);
        return g.Finish();
    }

    [Test]
    public void APyTorchStyleModelRunsLikeInOnnxRuntime()
    {
        var onnx = PyTorchStyleModel();
        var images = OnnxTesting.Images(100);
        var expected = OnnxTesting.RunInOnnxRuntime(onnx, new Shape(1, 28, 28), new Shape(10), images);
        using var device = TestDevices.Create(deviceName);

        using var model = OnnxImporter.Import(new MemoryStream(onnx), device);

        Assert.That(model.Spec, Is.EqualTo("conv6k3x5s2p1x2-relu-maxpool3s2-conv8k3p1nobias-sigmoid-avgpool6s1-flatten-dense16-tanh-dropout0.3-dense10-softmax"));
        OnnxTesting.AssertClose(model.Predict(images), expected, 1e-5, $"{deviceName} vs ONNX Runtime, PyTorch-style model");
    }
}
