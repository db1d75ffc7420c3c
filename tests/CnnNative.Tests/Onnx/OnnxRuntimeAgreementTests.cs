using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Onnx;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Tests.Onnx;

/// <summary>
/// The exporter's files run in ONNX Runtime and give our predictions: every built-in model and a spec with every layer,
/// trained briefly, on 200 real Fashion-MNIST test images.
/// </summary>
public class OnnxRuntimeAgreementTests
{
    [TestCaseSource(typeof(OnnxTesting), nameof(OnnxTesting.Specs))]
    public void OnnxRuntimePredictsWhatTheCpuDevicePredicts(string spec)
    {
        using var device = Device.Create("cpu", threads: 2);
        using var model = OnnxTesting.Trained(spec, device);
        var images = OnnxTesting.Images(200);

        var ours = model.Predict(images);
        var ort = OnnxTesting.RunInOnnxRuntime(OnnxExporter.ToBytes(model), model.InputShape, model.OutputShape, images);

        OnnxTesting.AssertClose(ort, ours, 1e-5, $"ONNX Runtime vs cpu, {spec}");
    }

    [Test]
    public void TheExportedGraphHasTheDocumentedInterface()
    {
        using var device = Device.Create("reference");
        using var model = ModelBuilder.Build("lenet5", device, new Shape(1, 28, 28), seed: 1);

        var proto = OnnxExporter.ToModel(model);

        Assert.That(proto.OpsetImport.Single(o => o.Domain == "").Version, Is.EqualTo(13));
        var input = proto.Graph.Input.Single();
        Assert.That(input.Name, Is.EqualTo("input"));
        Assert.That(input.Type.TensorType.ElemType, Is.EqualTo(1), "float32");
        Assert.That(input.Type.TensorType.Shape.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString()),
                    Is.EqualTo(new[] { "N", "1", "28", "28" }));
        Assert.That(proto.Graph.Output.Single().Name, Is.EqualTo("output"));
        Assert.That(proto.Graph.Node.Select(n => n.OpType),
                    Is.EqualTo(new[] { "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax" }));
        Assert.That(proto.Graph.Initializer.Select(t => t.Name), Is.EquivalentTo(model.Parameters.Select(p => p.Name)));
    }
}
