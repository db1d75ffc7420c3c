using CnnNative.Data;
using CnnNative.Layers;
using CnnNative.Tensors;
using CnnNative.Training;

namespace CnnNative.Diagnostics;

/// <summary>One row of a <see cref="StepProfile"/>: a layer's forward or backward, the loss, or the optimizer step.</summary>
/// <param name="Stage">"forward", "backward", "loss" or "optimizer".</param>
/// <param name="Name">The layer's name ("conv2d_1") or the stage's ("loss").</param>
/// <param name="Spec">What ran: the layer's model-spec token ("conv32k5p2"), the loss's or the optimizer's name, or a note on a whole-step row.</param>
/// <param name="Milliseconds">Best time over the profiled steps.</param>
/// <param name="Flops">Multiply-adds × 2 this stage does (conv and dense layers), or 0.</param>
internal sealed record StepStage(string Stage, string Name, string Spec, double Milliseconds, double Flops)
{
    public double? Gflops => Flops > 0 ? Flops / (Milliseconds * 1e6) : null;
}

/// <summary>
/// Where a training step's time goes: each layer's forward and backward, the loss and the optimizer, timed
/// separately (the device is synchronised after each, so the parts add up to a slower step than Fit's; the
/// shares are what matters). The best of <c>steps</c> runs is kept for every stage, after <c>seconds</c> of
/// warm-up steps (the JIT recompiles hot methods with full optimisation after about 30 calls); then whole steps
/// are timed for <c>seconds</c> more, without synchronising between stages, as Fit runs them.
/// </summary>
internal static class StepProfile
{
    public static IReadOnlyList<StepStage> Measure(Sequential model, Dataset data, int batchSize = 64, int steps = 30, double seconds = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (model.Optimizer is null || model.Loss is null)
            throw new InvalidOperationException("Compile the model before profiling it: the step needs a loss and an optimizer.");
        if (batchSize <= 0 || batchSize > data.Count)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"Batch size must be between 1 and the data's {data.Count} images, got {batchSize}.");
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), $"Steps must be positive, got {steps}.");
        if (!(seconds >= 0)) throw new ArgumentOutOfRangeException(nameof(seconds), $"Seconds must be zero or more, got {seconds}.");

        var device = model.Device;
        var layers = model.Layers;
        var loss = model.Loss;
        var optimizer = model.Optimizer;
        bool logits = loss.TakesLogits && layers.Count > 0 && layers[^1] is Softmax;
        int top = logits ? layers.Count - 1 : layers.Count;

        var batch = data.Take(batchSize);
        var oneHot = new float[batchSize * data.ClassCount];
        for (int i = 0; i < batchSize; i++) oneHot[i * data.ClassCount + batch.Label(i)] = 1f;
        using var x = Tensor.FromSpan(device, model.InputShape.WithBatch(batchSize), batch.Images);
        using var t = Tensor.FromSpan(device, new Shape(batchSize, data.ClassCount), oneHot);

        var forward = new double[top];
        var backward = new double[top];
        double lossTime = double.MaxValue, stepTime = double.MaxValue;
        Array.Fill(forward, double.MaxValue);
        Array.Fill(backward, double.MaxValue);

        Timing.Warm(() => TrainStep(model, x, t, logits), runs: 3, seconds); // JIT tiers, workspaces, kernels
        for (int s = 1; s <= steps; s++)
        {
            var h = x;
            for (int i = 0; i < top; i++) h = Time(ref forward[i], () => layers[i].Forward(h, training: true));
            Time(ref lossTime, () => model.ComputeLoss(h, t));
            optimizer.ZeroGrad();
            Tensor? dy = model.LossGradient;
            for (int i = top - 1; i >= 0; i--)
            {
                var g = dy!;
                dy = Time(ref backward[i], () => layers[i].Backward(g, needInputGradient: i > 0));
            }
            Time(ref stepTime, () => { optimizer.Step(); return 0; });
        }

        // The same step with no synchronisation between stages, as Fit runs it: as data-parallel shards on the cpu
        // device's lanes where Fit would take them (the stages above are always one stream's).
        var parallel = model.DataParallel(top, loss);
        int shards = parallel?.ShardsFor(batchSize) ?? 1;
        var images = batch.Images.ToArray();
        Action step = shards >= 2 ? () => ShardedStep(model, parallel!, images, oneHot, batchSize) : () => TrainStep(model, x, t, logits);
        if (shards >= 2) Timing.Warm(step, runs: 3, seconds);
        var whole = Timing.Measure(step, budgetSeconds: seconds, minRuns: steps, warmup: 0);
        string how = shards >= 2 ? $"as {shards} data-parallel shards" : "no synchronisation between stages";

        var rows = new List<StepStage>();
        for (int i = 0; i < top; i++) rows.Add(new StepStage("forward", layers[i].Name, layers[i].Spec, forward[i] * 1e3, ForwardFlops(layers[i], batchSize)));
        rows.Add(new StepStage("loss", "loss", loss.Name, lossTime * 1e3, 0));
        for (int i = top - 1; i >= 0; i--)
            rows.Add(new StepStage("backward", layers[i].Name, layers[i].Spec, backward[i] * 1e3, ForwardFlops(layers[i], batchSize) * (i > 0 ? 2 : 1)));
        rows.Add(new StepStage("optimizer", "optimizer", optimizer.GetType().Name, stepTime * 1e3, 0));
        rows.Add(new StepStage("step", "whole step (best)", how, whole.BestSeconds * 1e3, 0));
        rows.Add(new StepStage("step", "whole step (median)", $"of {whole.Runs} steps", whole.MedianSeconds * 1e3, 0));
        return rows;

        T Time<T>(ref double best, Func<T> stage)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            var result = stage();
            device.Synchronize();
            // In the timer's own ticks (1 ns on Linux): a TimeSpan's 100 ns ticks read a pass-through stage as 0.
            double seconds = (System.Diagnostics.Stopwatch.GetTimestamp() - start) / (double)System.Diagnostics.Stopwatch.Frequency;
            best = Math.Min(best, seconds);
            return result;
        }
    }

    /// <summary>One step as Fit takes it, through the model's own Forward/Backward.</summary>
    private static void TrainStep(Sequential model, Tensor x, Tensor t, bool logits)
    {
        var output = logits ? model.ForwardLogits(x, training: true) : model.Forward(x, training: true);
        model.ComputeLoss(output, t);
        model.Optimizer!.ZeroGrad();
        model.Backward();
        model.Optimizer.Step();
        model.Device.Synchronize();
    }

    /// <summary>One step as Fit takes it where its data-parallel step applies: from the host batch, as shards.</summary>
    private static void ShardedStep(Sequential model, DataParallelStep parallel, float[] images, float[] oneHot, int rows)
    {
        parallel.Run(images, oneHot, rows, countCorrect: false);
        model.Optimizer!.ZeroGrad();
        parallel.AddGradients();
        model.Optimizer.Step();
        model.Device.Synchronize();
    }

    /// <summary>2 × multiply-adds of the layer's forward for a batch (its backward does this twice: data and weights).</summary>
    private static double ForwardFlops(Layer layer, int batch) => layer switch
    {
        Conv2d c => 2.0 * batch * c.OutputShape.Size * c.InputShape[0] * c.KernelH * c.KernelW,
        Linear l => 2.0 * batch * l.InputShape.Size * l.Units,
        _ => 0,
    };
}
