using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Devices.Cpu;
using CnnNative.Models;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Diagnostics;

/// <summary>
/// The op-by-op and end-to-end comparison behind `cnn bench`: every op of <see cref="BenchShapes"/> and the
/// built-in models on each device asked for, timed with <see cref="Timing"/> (best of repeated runs) and
/// related to the FMA peak measured in the same run. <paramref name="engines"/> are inference runtimes outside
/// CnnNative (ONNX Runtime, from the `cnn` tool) asked for by name like devices: they run the built-in models'
/// inference on the same weights and images.
/// </summary>
internal sealed class BenchSuite(int threads, double budgetSeconds = 0.25, Action<string>? progress = null,
                               IEnumerable<IInferenceEngine>? engines = null)
{
    private readonly IReadOnlyList<IInferenceEngine> _engines = engines?.ToList() ?? [];

    public int Threads { get; } = threads <= 0 ? Environment.ProcessorCount : threads;

    /// <param name="deviceNames">Devices and engines, by name.</param>
    /// <param name="ops">Whether to time the ops of <see cref="BenchShapes"/>.</param>
    /// <param name="models">Whether to time the models' training and inference.</param>
    /// <param name="modelNames">The models: built-in names or specs (default <see cref="DefaultModels"/>).</param>
    public BenchReport Run(IEnumerable<string> deviceNames, bool ops = true, bool models = true, IReadOnlyList<string>? modelNames = null)
    {
        var modelList = (modelNames ?? DefaultModels).Select(m => (m, TrainImagesOf(m))).ToArray();
        progress?.Invoke("measuring the FMA peak");
        var peaks = FmaPeak.MeasureWidths(Threads);
        double peak = peaks.WidestGflops;
        var opResults = new List<OpResult>();
        var modelResults = new List<ModelResult>();
        var skipped = new List<string>();
        foreach (var name in deviceNames)
        {
            if (_engines.FirstOrDefault(e => e.Name == name) is { } engine)
            {
                if (models) modelResults.AddRange(MeasureEngine(engine, modelList, skipped));
                continue;
            }
            IDevice device;
            try { device = Device.Create(name, Threads); }
            catch (DeviceNotFoundException e) { skipped.Add($"{name}: {e.Message}"); continue; }
            using (device)
            {
                if (ops) opResults.AddRange(MeasureOps(device, peak));
                if (models) modelResults.AddRange(MeasureModels(device, modelList));
            }
        }
        return new BenchReport(DateTime.UtcNow, MachineDescription(), Threads, peak, opResults, modelResults, skipped,
                               peaks.Vector256Gflops, peaks.Vector512Gflops, CpuProcessor.Model(), CpuProcessor.Isa(CpuIsa.Auto));
    }

    private static string MachineDescription()
        => $"{CpuProcessor.Model()}, {Environment.ProcessorCount} logical cores, {Environment.OSVersion}";

    private IEnumerable<OpResult> MeasureOps(IDevice device, double peak)
    {
        var results = new List<OpResult>();
        var buffers = new List<DeviceBuffer>();
        DeviceBuffer Random(int length)
        {
            var b = device.Allocate(length);
            var rng = new Random(length);
            var host = new float[length];
            for (int i = 0; i < host.Length; i++) host[i] = rng.NextSingle() * 2 - 1;
            device.Upload(host, b);
            buffers.Add(b);
            return b;
        }
        void Add(string op, string shape, Action action, double flops, double bytes, string? algorithm = null)
        {
            progress?.Invoke($"{device.Name}: {op} {shape}");
            // Warm up as long as the measurement lasts: the first op on a device also pays for the JIT's tiers.
            var t = Timing.Measure(() => { action(); device.Synchronize(); }, budgetSeconds, warmupSeconds: budgetSeconds);
            double? gflops = flops > 0 ? flops / t.BestSeconds / 1e9 : null;
            double? gbps = bytes > 0 ? bytes / t.BestSeconds / 1e9 : null;
            results.Add(new OpResult(op, shape, device.Name, t.BestSeconds * 1e3, gflops, gbps, gflops / peak * 100, algorithm));
        }
        try
        {
            foreach (var g in BenchShapes.Convolutions)
            {
                var (x, w, b, y) = (Random(g.InputLength), Random(g.FilterLength), Random(g.K), Random(g.OutputLength));
                var (dx, dw, db) = (Random(g.InputLength), Random(g.FilterLength), Random(g.K));
                string shape = BenchShapes.Describe(g);
                // The cpu device names the algorithm of each op (its Winograd path does fewer multiplies than counted).
                Conv2dPlan? plan = device is CpuDevice cpu ? cpu.PlanConv2d(g) : null;
                string? Name(Conv2dAlgorithm? a) => a?.ToString().ToLowerInvariant();
                Add("conv2d_forward", shape, () => device.Conv2dForward(g, x, w, b, y), g.Flops, 0, Name(plan?.Forward));
                Add("conv2d_backward_data", shape, () => device.Conv2dBackwardData(g, y, w, dx), g.Flops, 0, Name(plan?.BackwardData));
                Add("conv2d_backward_filter", shape, () => device.Conv2dBackwardFilter(g, x, y, dw, db), g.Flops, 0, Name(plan?.BackwardFilter));
                FreeAll();
            }
            var p = BenchShapes.Pool;
            {
                var (x, y, dx) = (Random(p.InputLength), Random(p.OutputLength), Random(p.InputLength));
                string shape = BenchShapes.Describe(p);
                foreach (var mode in new[] { PoolMode.Max, PoolMode.Average })
                {
                    string name = mode == PoolMode.Max ? "max_pool" : "avg_pool";
                    Add($"{name}_forward", shape, () => device.Pool2dForward(p, mode, x, y), 0, 4.0 * (p.InputLength + p.OutputLength));
                    Add($"{name}_backward", shape, () => device.Pool2dBackward(p, mode, x, y, dx), 0, 4.0 * (2 * p.InputLength + p.OutputLength));
                }
                FreeAll();
            }
            {
                var (n, c, s) = BenchShapes.BatchNorm;
                int length = n * c * s;
                var (x, y, dx) = (Random(length), Random(length), Random(length));
                var (gamma, beta, mean, invStd, runningMean, runningVar) = (Random(c), Random(c), Random(c), Random(c), Random(c), Random(c));
                var (dgamma, dbeta) = (Random(c), Random(c));
                device.Fill(runningVar, c, 1f);
                string shape = $"N={n},C={c},spatial={s}";
                // Bytes: x read and y written once (the statistics pass reads x again from cache where it fits).
                Add("batch_norm_forward_training", shape,
                    () => device.BatchNormForwardTraining(n, c, s, 1e-5f, 0.1f, x, gamma, beta, y, mean, invStd, runningMean, runningVar), 0, 4.0 * 2 * length);
                Add("batch_norm_forward_inference", shape,
                    () => device.BatchNormForwardInference(n, c, s, 1e-5f, x, gamma, beta, runningMean, runningVar, y), 0, 4.0 * 2 * length);
                Add("batch_norm_backward", shape,
                    () => device.BatchNormBackward(n, c, s, x, y, gamma, mean, invStd, dx, dgamma, dbeta), 0, 4.0 * 3 * length);
                FreeAll();
            }
            foreach (var (m, n, k) in BenchShapes.Gemms)
            {
                var (a, b, c) = (Random(m * k), Random(k * n), Random(m * n));
                Add("gemm", $"M={m},N={n},K={k}", () => device.Gemm(false, false, m, n, k, 1, a, b, 0, c), 2.0 * m * n * k, 0);
                FreeAll();
            }
            {
                var (rows, cols) = BenchShapes.SoftmaxCrossEntropy;
                var (z, t, gr) = (Random(rows * cols), Random(rows * cols), Random(rows * cols));
                Add("softmax_cross_entropy", $"rows={rows},classes={cols}", () => device.SoftmaxCrossEntropy(rows, cols, z, t, gr, 1f / rows), 0, 4.0 * 3 * rows * cols);
                FreeAll();
            }
        }
        finally { FreeAll(); }
        return results;

        void FreeAll()
        {
            foreach (var b in buffers) b.Dispose();
            buffers.Clear();
        }
    }

    /// <summary>Seconds each model trains before its training rate is measured.</summary>
    private const double WarmupSeconds = 1.0;

    /// <summary>The models measured unless others are named: the built-in lenet5 and convnet.</summary>
    public static IReadOnlyList<string> DefaultModels { get; } = ["lenet5", "convnet"];

    /// <summary>Images a model trains on per timed pass: 40 batches of lenet5, 8 of anything larger.</summary>
    private static int TrainImagesOf(string model) => model == "lenet5" ? 64 * 40 : 64 * 8;

    /// <summary>How far an engine's outputs (probabilities) may be from the cpu device's before its figures are dropped.</summary>
    private const double AgreementTolerance = 1e-4;

    private IEnumerable<ModelResult> MeasureModels(IDevice device, (string Name, int TrainImages)[] models)
    {
        var results = new List<ModelResult>();
        foreach (var (name, trainImages) in models)
        {
            progress?.Invoke($"{device.Name}: {name} training and inference");
            var data = RandomImages(Math.Max(trainImages, 256), seed: 1);
            using var model = ModelBuilder.Build(name, device, data.InputShape, seed: 1);
            model.Compile(new Adam(), Loss.CategoricalCrossEntropy);
            // Steady state, as an epoch of 938 batches sees it: warm up (JIT tiers, workspaces, kernels) for a second
            // first, then keep the best of three passes (noise on a shared machine only ever adds time).
            Timing.Warm(() => model.Fit(data.Take(128), batchSize: 64, epochs: 1), runs: 2, seconds: WarmupSeconds);
            double trainRate = 0;
            for (int pass = 0; pass < 3; pass++)
                trainRate = Math.Max(trainRate, model.Fit(data.Take(trainImages), batchSize: 64, epochs: 1, shuffle: false).Last.ImagesPerSecond);

            var (batch1Ms, batch256Rate) = MeasureInference(images => model.Predict(images), data);
            results.Add(new ModelResult(name, device.Name, 64, trainRate, batch1Ms, batch256Rate));
        }
        return results;
    }

    /// <summary>
    /// The engine's batch-1 latency and batch-256 throughput on each model, with the weights the devices' models start
    /// from (seed 1). Its outputs are first checked against the cpu device's, so that it is timed only
    /// where it computes the same function.
    /// </summary>
    private IEnumerable<ModelResult> MeasureEngine(IInferenceEngine engine, (string Name, int TrainImages)[] models, List<string> skipped)
    {
        var results = new List<ModelResult>();
        using var cpu = Device.Create("cpu", Threads);
        foreach (var (name, _) in models)
        {
            progress?.Invoke($"{engine.Name}: {name} inference");
            var data = RandomImages(256, seed: 1);
            using var model = ModelBuilder.Build(name, cpu, data.InputShape, seed: 1);
            IInferenceSession session;
            try { session = engine.Open(model, Threads); }
            catch (DeviceNotFoundException e) { skipped.Add($"{engine.Name}: {e.Message}"); return results; }
            using (session)
            {
                int sample = data.InputShape.Size;
                var check = data.Take(8).Images.ToArray();
                double difference = MaxAbsDifference(session.Predict(check, 8), model.Predict(check));
                if (!(difference <= AgreementTolerance))
                {
                    skipped.Add($"{engine.Name} {name}: its outputs differ from the cpu device's by {difference:G3} (more than {AgreementTolerance:G1}), so it was not timed");
                    continue;
                }
                var (batch1Ms, batch256Rate) = MeasureInference(images => session.Predict(images, images.Length / sample), data);
                results.Add(new ModelResult(name, engine.Name, null, null, batch1Ms, batch256Rate, difference));
            }
        }
        return results;
    }

    /// <summary>Batch-1 latency (median, ms) and batch-256 throughput (best call, images/s), the same way for devices and engines.</summary>
    private (double Batch1Ms, double Batch256ImagesPerSecond) MeasureInference(Func<float[], float[]> predict, Dataset data)
    {
        var one = data.Image(0).ToArray();
        var batch1 = Timing.Measure(() => predict(one), budgetSeconds, minRuns: 20, warmup: 5, warmupSeconds: WarmupSeconds / 2);
        var many = data.Take(256).Images.ToArray();
        var batch256 = Timing.Measure(() => predict(many), budgetSeconds, minRuns: 3, warmupSeconds: WarmupSeconds / 4);
        return (batch1.MedianSeconds * 1e3, 256 / batch256.BestSeconds);
    }

    private static double MaxAbsDifference(float[] a, float[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs((double)a[i] - b[i]));
        return worst;
    }

    private static Dataset RandomImages(int count, int seed)
    {
        var rng = new Random(seed);
        var images = new float[count * 28 * 28];
        for (int i = 0; i < images.Length; i++) images[i] = rng.NextSingle();
        var labels = Enumerable.Range(0, count).Select(_ => rng.Next(10)).ToArray();
        return Dataset.FromArrays(images, new Shape(1, 28, 28), labels, 10);
    }
}
