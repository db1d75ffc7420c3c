using CnnNative.Onnx;
using CnnNative.Tensors;
using CnnNative.Tests.Devices.Conformance;

namespace CnnNative.Tests.Onnx;

/// <summary>
/// Models CnnNative's exporter did not write, assembled the way PyTorch exports a small CNN (opset 17, MatMul + Add,
/// Reshape(0, -1) from a Constant, SAME padding, GlobalAveragePool, Gemm without transB and with alpha/beta, Identity,
/// Dropout with a ratio input, BatchNormalization), imported and run on every device against ONNX Runtime on real images.
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

        // GlobalAveragePool and the Reshape that flattens it are one GlobalAvgPool2d.
        Assert.That(model.Spec, Is.EqualTo("conv6k3x5s2p1x2-relu-maxpool3s2-conv8k3p1nobias-sigmoid-gap-dense16-tanh-dropout0.3-dense10-softmax"));
        OnnxTesting.AssertClose(model.Predict(images), expected, 1e-5, $"{deviceName} vs ONNX Runtime, PyTorch-style model");
    }

    /// <summary>
    /// A PyTorch-style model with BatchNormalization (inference mode, PyTorch's momentum 0.9 = 1 − 0.1) after bias-free
    /// convolutions and after a dense layer, and GlobalAveragePool + Flatten; running statistics far from (0, 1).
    /// </summary>
    internal static byte[] BatchNormModel()
    {
        var g = new HandBuiltOnnx();
        string[] Norm(string name, int channels, int seed)
        {
            var rng = new Random(seed);
            float[] Draw(float lo, float hi) => Enumerable.Range(0, channels).Select(_ => lo + (hi - lo) * rng.NextSingle()).ToArray();
            return [g.Floats($"{name}.weight", [channels], Draw(0.5f, 1.5f)), g.Floats($"{name}.bias", [channels], Draw(-0.5f, 0.5f)),
                    g.Floats($"{name}.running_mean", [channels], Draw(-0.3f, 0.3f)), g.Floats($"{name}.running_var", [channels], Draw(0.02f, 0.2f))];
        }
        g.Node("Conv", g.Weights("conv1.weight", [4, 1, 3, 3])).Ints("kernel_shape", 3, 3).Ints("pads", 1, 1, 1, 1);   // (N,4,28,28)
        g.Node("BatchNormalization", Norm("bn1", 4, 1)).Float("epsilon", 1e-5f).Float("momentum", 0.9f);
        g.Node("Relu");
        g.Node("MaxPool").Ints("kernel_shape", 2, 2).Ints("strides", 2, 2);                                          // (N,4,14,14)
        g.Node("Conv", g.Weights("conv2.weight", [6, 4, 3, 3])).Ints("kernel_shape", 3, 3);                           // (N,6,12,12)
        g.Node("BatchNormalization", Norm("bn2", 6, 2)).Float("epsilon", 1e-3f);
        g.Node("Relu");
        g.Node("GlobalAveragePool");                                                                                  // (N,6,1,1)
        g.Node("Flatten").Int("axis", 1);                                                                             // (N,6)
        g.Node("Gemm", g.Weights("fc1.weight", [8, 6]), g.Weights("fc1.bias", [8])).Int("transB", 1);
        g.Node("BatchNormalization", Norm("bn3", 8, 3)).Float("epsilon", 1e-5f).Float("momentum", 0.9f);
        g.Node("Relu");
        g.Node("Gemm", g.Weights("fc2.weight", [10, 8], scale: 2f), g.Weights("fc2.bias", [10])).Int("transB", 1);
        g.Node("Softmax").Int("axis", 1);
        return g.Finish();
    }

    [Test]
    public void APyTorchStyleModelWithBatchNormRunsLikeInOnnxRuntime()
    {
        var onnx = BatchNormModel();
        var images = OnnxTesting.Images(100);
        var expected = OnnxTesting.RunInOnnxRuntime(onnx, new Shape(1, 28, 28), new Shape(10), images);
        using var device = TestDevices.Create(deviceName);

        using var model = OnnxImporter.Import(new MemoryStream(onnx), device);

        Assert.That(model.Spec, Is.EqualTo("conv4k3p1nobias-bn-relu-maxpool2-conv6k3nobias-bne0.001-relu-gap-dense8-bn-relu-dense10-softmax"));
        Assert.That(model.Buffers.Select(b => b.Name).Take(2), Is.EqualTo(new[] { "bn_1.running_mean", "bn_1.running_var" }));
        OnnxTesting.AssertClose(model.Predict(images), expected, 1e-5, $"{deviceName} vs ONNX Runtime, PyTorch-style model with BatchNorm");
    }

    [Test]
    public void AGlobalAveragePoolThatFeedsAConvolutionKeepsItsMap()
    {
        var g = new HandBuiltOnnx();
        g.Node("Conv", g.Weights("conv1.weight", [5, 1, 5, 5]), g.Weights("conv1.bias", [5])).Ints("kernel_shape", 5, 5); // (N,5,24,24)
        g.Node("Relu");
        g.Node("GlobalAveragePool");                                                                                   // (N,5,1,1)
        g.Node("Conv", g.Weights("classifier.weight", [10, 5, 1, 1], scale: 3f)).Ints("kernel_shape", 1, 1);           // (N,10,1,1)
        g.Node("Flatten").Int("axis", 1);
        g.Node("Softmax").Int("axis", 1);
        var onnx = g.Finish();
        var images = OnnxTesting.Images(50);
        var expected = OnnxTesting.RunInOnnxRuntime(onnx, new Shape(1, 28, 28), new Shape(10), images);
        using var device = TestDevices.Create(deviceName);

        using var model = OnnxImporter.Import(new MemoryStream(onnx), device);

        Assert.That(model.Spec, Is.EqualTo("conv5k5-relu-avgpool24s1-conv10k1nobias-flatten-softmax"));
        OnnxTesting.AssertClose(model.Predict(images), expected, 1e-5, $"{deviceName} vs ONNX Runtime, all-convolutional model");
    }
}
