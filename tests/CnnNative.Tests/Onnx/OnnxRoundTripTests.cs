using CnnNative.Onnx;
using CnnNative.Tests.Data;
using CnnNative.Tests.Devices.Conformance;
using CnnNative.Training;

namespace CnnNative.Tests.Onnx;

/// <summary>Export, import, predict: the imported model is the original, on every device.</summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Names))]
public class OnnxRoundTripTests(string deviceName)
{
    [TestCaseSource(typeof(OnnxTesting), nameof(OnnxTesting.Specs))]
    public void AnImportedExportPredictsLikeTheOriginal(string spec)
    {
        using var folder = new TempFolder();
        using var device = TestDevices.Create(deviceName);
        using var original = OnnxTesting.Trained(spec, device);
        string onnx = folder.File("model.onnx");
        original.ExportOnnx(onnx);

        using var imported = Sequential.ImportOnnx(onnx, device);

        Assert.That(imported.Spec, Is.EqualTo(OnnxTesting.AfterRoundTrip(original.Spec)));
        Assert.That(imported.InputShape, Is.EqualTo(original.InputShape));
        foreach (var (a, b) in imported.Parameters.Zip(original.Parameters))
            Assert.That(a.Value.ToArray(), Is.EqualTo(b.Value.ToArray()), $"{a.Name} holds exactly the exported weights");
        Assert.That(imported.Buffers.Select(b => b.Name), Is.EqualTo(original.Buffers.Select(b => b.Name)));
        foreach (var (a, b) in imported.Buffers.Zip(original.Buffers))
            Assert.That(a.Value.ToArray(), Is.EqualTo(b.Value.ToArray()), $"{a.Name} holds exactly the exported running statistics");
        var images = OnnxTesting.Images(64);
        Assert.That(imported.Predict(images), Is.EqualTo(original.Predict(images)), "same weights, same device: same predictions");

        // And what import gives can be saved and loaded like any model.
        string saved = folder.File("model.safetensors");
        imported.Save(saved);
        using var loaded = Sequential.Load(saved, device);
        Assert.That(loaded.Predict(images), Is.EqualTo(original.Predict(images)));
    }
}
