using BenchmarkDotNet.Attributes;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Bench;

/// <summary>
/// End to end: one training step at batch 64 (upload, forward, fused loss, backward, Adam) and inference at
/// batch 1 and 256, for lenet5 and convnet. MemoryDiagnoser shows the managed bytes a steady-state step allocates.
/// </summary>
[MemoryDiagnoser]
public class ModelBenchmarks
{
    private IDevice _device = null!;
    private Sequential _model = null!;
    private Tensor _x64 = null!, _t64 = null!, _x1 = null!, _x256 = null!;
    private float[] _images = null!, _targets = null!;

    [ParamsSource(typeof(AvailableDevices), nameof(AvailableDevices.Names))]
    public string Device { get; set; } = "cpu";

    [Params("lenet5", "convnet")]
    public string Model { get; set; } = "lenet5";

    [GlobalSetup]
    public void Setup()
    {
        _device = CnnNative.Devices.Device.Create(Device);
        _model = ModelBuilder.Build(Model, _device, new Shape(1, 28, 28), seed: 1);
        _model.Compile(new Adam(), Loss.CategoricalCrossEntropy);
        var rng = new Random(1);
        _images = Enumerable.Range(0, 256 * 784).Select(_ => rng.NextSingle()).ToArray();
        _targets = new float[64 * 10];
        for (int i = 0; i < 64; i++) _targets[i * 10 + rng.Next(10)] = 1;
        _x64 = Tensor.FromSpan(_device, new Shape(64, 1, 28, 28), _images.AsSpan(0, 64 * 784));
        _t64 = Tensor.FromSpan(_device, new Shape(64, 10), _targets);
        _x1 = Tensor.FromSpan(_device, new Shape(1, 1, 28, 28), _images.AsSpan(0, 784));
        _x256 = Tensor.FromSpan(_device, new Shape(256, 1, 28, 28), _images);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in new[] { _x64, _t64, _x1, _x256 }) t.Dispose();
        _model.Dispose();
        _device.Dispose();
    }

    [Benchmark(Description = "train step, batch 64")]
    public float TrainStep()
    {
        _device.Upload(_images.AsSpan(0, 64 * 784), _x64.Buffer);
        var logits = _model.ForwardLogits(_x64, training: true);
        float loss = _model.ComputeLoss(logits, _t64);
        _model.Optimizer!.ZeroGrad();
        _model.Backward();
        _model.Optimizer.Step();
        _device.Synchronize();
        return loss;
    }

    [Benchmark(Description = "inference, batch 1")]
    public Tensor InferBatch1() { var y = _model.Forward(_x1); _device.Synchronize(); return y; }

    [Benchmark(Description = "inference, batch 256")]
    public Tensor InferBatch256() { var y = _model.Forward(_x256); _device.Synchronize(); return y; }
}
