using CnnNative.Cli.Bench;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Onnx;
using CnnNative.Onnx.Protos;
using CnnNative.Tensors;
using CnnNative.Tests.Data;
using CnnNative.Training;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace CnnNative.Tests.Onnx;

/// <summary>Files outside the importer's subset are refused naming the node; broken files name what is broken.</summary>
public class OnnxImportErrorTests
{
    private static readonly IDevice Device = CnnNative.Devices.Device.Create("reference");

    private static Exception ImportFails(byte[] onnx, Shape? input = null)
        => Assert.Catch(() => OnnxImporter.Import(new MemoryStream(onnx), Device, input, source: "test.onnx"))!;

    [Test]
    public void OnnxRuntimesOptimisedModelIsRefusedNamingItsFirstFusedNode()
    {
        using var folder = new TempFolder();
        using var model = ModelBuilder.Build("lenet5", Device, new Shape(1, 28, 28), seed: 1);
        string optimised = folder.File("lenet5.optimized.onnx");
        // ONNX Runtime writes the graph it runs after ORT_ENABLE_ALL: NCHWc convolutions and fused ops in its own domains.
        using (new OnnxRuntimeSession(OnnxExporter.ToBytes(model), model.InputShape, model.OutputShape, threads: 1,
                                      GraphOptimizationLevel.ORT_ENABLE_ALL, optimised)) { }
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimised)).Graph;
        var first = graph.Node.First(n => n.Input.Contains(OnnxFormat.InputName));
        Assume.That(first.Domain, Does.StartWith("com.microsoft"), "ONNX Runtime fused the first node into its own domain");

        var e = Assert.Throws<NotSupportedException>(() => Sequential.ImportOnnx(optimised, Device))!;

        TestContext.Progress.WriteLine($"refused: {e.Message}");
        Assert.That(e.Message, Does.Contain($"'{first.Name}'").And.Contain($"({first.OpType}, domain {first.Domain})"));
    }

    [Test]
    public void AnUnsupportedStandardOpIsNamedWithTheOpsThatAreSupported()
    {
        var g = new HandBuiltOnnx();
        g.Node("Conv", g.Weights("w", [2, 1, 3, 3]));
        var bad = g.Node("LeakyRelu").Float("alpha", 0.1f);

        var e = ImportFails(g.Finish());

        Assert.That(e, Is.TypeOf<NotSupportedException>());
        Assert.That(e.Message, Does.Contain($"node '{bad.Name}' (LeakyRelu, domain ai.onnx) is not supported").And.Contain("Conv").And.Contain("MatMul"));
    }

    [Test]
    public void ABranchingGraphIsRefused()
    {
        var g = new HandBuiltOnnx(inputDims: [-1, 4]);
        g.Node("Relu");
        string relu = g.Current;
        g.Node("Sigmoid");
        var add = new NodeProto { OpType = "Add", Name = "skip", Input = { relu, g.Current }, Output = { "sum" } };
        g.Graph.Node.Add(add);
        g.Graph.Output.Add(new ValueInfoProto { Name = "sum" });

        var e = ImportFails(g.Finish());

        Assert.That(e, Is.TypeOf<NotSupportedException>());
        Assert.That(e.Message, Does.Contain("read by 2 nodes").And.Contain("not a branching graph"));
    }

    [Test]
    public void AsymmetricPaddingIsRefused()
    {
        var g = new HandBuiltOnnx();
        g.Node("Conv", g.Weights("w", [2, 1, 3, 3])).Ints("pads", 0, 0, 1, 1);

        var e = ImportFails(g.Finish());

        Assert.That(e, Is.TypeOf<NotSupportedException>());
        Assert.That(e.Message, Does.Contain("pads [0, 0, 1, 1]").And.Contain("symmetrically"));
    }

    [Test]
    public void FreeImageSizesNeedTheInputShape()
    {
        var g = new HandBuiltOnnx(inputDims: [-1, 1, -1, -1]);
        g.Node("Conv", g.Weights("w", [2, 1, 3, 3]));
        g.Node("Flatten");
        var onnx = g.Finish();

        var e = ImportFails(onnx);
        Assert.That(e, Is.TypeOf<InvalidDataException>());
        Assert.That(e.Message, Does.Contain("leaves dimension 2 free").And.Contain("input shape"));

        using var model = OnnxImporter.Import(new MemoryStream(onnx), Device, new Shape(1, 10, 12));
        Assert.That(model.OutputShape, Is.EqualTo(new Shape(2 * 8 * 10)));
        Assert.Throws<ArgumentException>(() => OnnxImporter.Import(new MemoryStream(onnx), Device, new Shape(3, 10, 12)), "3 channels where the file says 1");
    }

    [Test]
    public void NonFiniteWeightsAreRefused()
    {
        var g = new HandBuiltOnnx(inputDims: [-1, 3]);
        g.Node("Gemm", g.Floats("w", [2, 3], [1, 2, 3, 4, float.NaN, 6])).Int("transB", 1);

        var e = ImportFails(g.Finish());

        Assert.That(e, Is.TypeOf<InvalidDataException>());
        Assert.That(e.Message, Does.Contain("'w' holds NaN at index 4"));
    }

    [Test]
    public void RawDataOfTheWrongLengthIsRefused()
    {
        var g = new HandBuiltOnnx(inputDims: [-1, 3]);
        g.Node("Gemm", g.Weights("w", [2, 3])).Int("transB", 1);
        g.Graph.Initializer[0].RawData = ByteString.CopyFrom(new byte[20]);

        var e = ImportFails(g.Finish());

        Assert.That(e, Is.TypeOf<InvalidDataException>());
        Assert.That(e.Message, Does.Contain("needs 24 bytes of raw data, has 20"));
    }

    [Test]
    public void WeightsInAnExternalFileAreRefused()
    {
        var g = new HandBuiltOnnx(inputDims: [-1, 3]);
        g.Node("Gemm", g.Weights("w", [2, 3])).Int("transB", 1);
        var w = g.Graph.Initializer[0];
        w.RawData = ByteString.Empty;
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });

        var e = ImportFails(g.Finish());

        Assert.That(e, Is.TypeOf<NotSupportedException>());
        Assert.That(e.Message, Does.Contain("external data file"));
    }

    [Test]
    public void AFileThatIsNotOnnxIsInvalidData()
    {
        var e = ImportFails([0xFF, 0xFF, 0xFF, 0x01, 0x02, 0x03]);

        Assert.That(e, Is.TypeOf<InvalidDataException>());
        Assert.That(e.Message, Does.Contain("'test.onnx' is not an ONNX model"));
    }

    [Test]
    public void ATruncatedFileIsInvalidData()
    {
        var onnx = ForeignOnnxModelTests.PyTorchStyleModel();

        var e = ImportFails(onnx[..(onnx.Length / 2)]);

        Assert.That(e, Is.TypeOf<InvalidDataException>());
    }

    [Test]
    public void ACycleIsInvalidData()
    {
        var g = new HandBuiltOnnx(inputDims: [-1, 4]);
        g.Node("Relu");
        var loop = g.Node("Identity");
        loop.Output[0] = loop.Input[0]; // writes the value it reads

        var e = ImportFails(g.Finish());

        Assert.That(e, Is.TypeOf<InvalidDataException>());
        Assert.That(e.Message, Does.Contain("cycle"));
    }

    /// <summary>A (N, 3) model of one BatchNormalization whose inputs and attributes a case changes.</summary>
    private static byte[] BatchNormalization(float[] variance, Action<NodeProto>? edit = null, int channels = 3)
    {
        var g = new HandBuiltOnnx(inputDims: [-1, 3]);
        var node = g.Node("BatchNormalization", g.Floats("scale", [channels], new float[channels]), g.Floats("b", [channels], new float[channels]),
                          g.Floats("mean", [channels], new float[channels]), g.Floats("var", [variance.Length], variance));
        edit?.Invoke(node);
        return g.Finish();
    }

    [Test]
    public void BatchNormalizationOutsideInferenceOrWithBadStatisticsIsRefused()
    {
        using var fine = OnnxImporter.Import(new MemoryStream(BatchNormalization([1, 2, 3])), Device);
        Assert.That(fine.Spec, Is.EqualTo("bn"));

        var training = ImportFails(BatchNormalization([1, 2, 3], n => n.Int("training_mode", 1)));
        Assert.That(training, Is.TypeOf<NotSupportedException>());
        Assert.That(training.Message, Does.Contain("BatchNormalization").And.Contain("training mode"));

        var runningOutputs = ImportFails(BatchNormalization([1, 2, 3], n => n.Output.Add("running_mean_out")));
        Assert.That(runningOutputs, Is.TypeOf<NotSupportedException>());

        var negative = ImportFails(BatchNormalization([1, -2, 3]));
        Assert.That(negative, Is.TypeOf<InvalidDataException>());
        Assert.That(negative.Message, Does.Contain("'var' holds -2 at index 1").And.Contain("negative"));

        var wrongSize = ImportFails(BatchNormalization([1, 2, 3, 4], channels: 4));
        Assert.That(wrongSize, Is.TypeOf<InvalidDataException>());
        Assert.That(wrongSize.Message, Does.Contain("[4]").And.Contain("expected [3]"));

        var momentum = ImportFails(BatchNormalization([1, 2, 3], n => n.Float("momentum", 1.5f)));
        Assert.That(momentum, Is.TypeOf<InvalidDataException>());
        Assert.That(momentum.Message, Does.Contain("momentum 1.5"));

        var eps = ImportFails(BatchNormalization([1, 2, 3], n => n.Float("epsilon", 0f)));
        Assert.That(eps, Is.TypeOf<InvalidDataException>());
        Assert.That(eps.Message, Does.Contain("eps"));
    }

    [Test]
    public void ExportingALayerlessModelFails()
    {
        using var model = new Sequential(Device, new Shape(1, 28, 28));
        Assert.Throws<InvalidOperationException>(() => OnnxExporter.ToBytes(model));
    }
}
