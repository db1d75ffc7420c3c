using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Tensors;

namespace CnnNative.Training;

/// <summary>
/// A training step as data-parallel shards on the cpu device's lanes (<see cref="CpuDevice.Lanes"/>): the batch is
/// cut into one shard of rows per worker, and each worker takes its shard through the whole model on its own
/// single-threaded lane (upload, forward, loss, backward), with no join between the ops; the shards' parameter
/// gradients, each in memory of its own, are then added in one parallel loop (<see cref="CpuDevice.SumShards"/>)
/// before the optimizer's step. Every op of a small model is tens of microseconds on two cores, so splitting each
/// op over the workers and joining after it cost a third of LeNet's step (measured: 0.90 ms a step of 64 that way,
/// 0.68 as two shards of 32 run side by side).
/// </summary>
/// <remarks>
/// The step computes the same gradient: each shard's loss is the mean over its rows, so its gradient is weighted by
/// its share of the batch (a power of two for even shards, exact). The sums run in another order than one stream's,
/// so results agree within rounding, not bitwise, and depend on the number of shards (the device's workers): the same
/// thread count gives the same bits. Models with batch norm (whose statistics are the whole batch's) or dropout
/// (whose masks are drawn over the whole batch) keep the single stream, as do batches of fewer than
/// <see cref="MinShardRows"/> rows a shard, and models with more than <see cref="MaxParameters"/> parameters, whose
/// gradients cost more to add than the step saves.
/// </remarks>
internal sealed unsafe class DataParallelStep : IDisposable
{
    /// <summary>
    /// Fewest rows a shard takes. Measured, same process, 2 threads, AVX-512 machine: lenet5 at batch 16 (two shards of
    /// 8) 0.312 against 0.364 ms a step (median, 1.17×), at batch 32 1.20×; smaller shards not measured, so not taken.
    /// </summary>
    public const int MinShardRows = 8;

    /// <summary>
    /// Most parameters of a model stepped this way: each step adds every shard's gradient of every parameter.
    /// Measured, same process, 2 threads, AVX-512 machine, batch 64: lenet5 (61,706 parameters) 0.785 against 0.984 ms
    /// a step (median, 1.25×); convnet (3.3 M) 13.85 against 13.40 ms (0.97×).
    /// </summary>
    public const long MaxParameters = 1_000_000;

    private readonly CpuDevice _device;
    private readonly IReadOnlyList<CpuDevice> _lanes;
    private readonly Layer[] _layers;
    private readonly Parameter[] _parameters;
    private readonly Loss _loss;
    private readonly Shape _inputShape;
    private readonly Shard[] _shards;
    private readonly Action<int> _runShard;
    // The reduction's arguments, kept to allocate nothing per step.
    private readonly DeviceBuffer[] _targets, _parts;
    private readonly bool[] _keep;
    private readonly int[] _lengths;
    private readonly float[][] _weights;

    // The batch of the step in progress (valid only inside Run): host spans, or a loader's batch.
    private float* _images, _oneHot;
    private DataLoader? _loader;
    private int _epoch, _batchIndex;
    private int _rows, _shardCount, _classes;
    private bool _countCorrect;

    private DataParallelStep(CpuDevice device, IReadOnlyList<CpuDevice> lanes, Layer[] layers, Loss loss, Shape inputShape)
    {
        _device = device;
        _lanes = lanes;
        _layers = layers;
        _parameters = _layers.SelectMany(l => l.Parameters).ToArray();
        _loss = loss;
        _inputShape = inputShape;
        _shards = lanes.Select(lane => new Shard(lane, _layers, _parameters)).ToArray();
        _runShard = RunShard;
        _targets = new DeviceBuffer[_parameters.Length];
        _keep = new bool[_parameters.Length];
        _lengths = _parameters.Select(p => p.Length).ToArray();
        _parts = new DeviceBuffer[_parameters.Length * lanes.Count];
        _weights = new float[lanes.Count + 1][];
        for (int s = 1; s <= lanes.Count; s++) _weights[s] = new float[s];
    }

    /// <summary>
    /// The step for <paramref name="model"/>'s first <paramref name="top"/> layers with <paramref name="loss"/>, or
    /// null where it does not apply (another device, one worker, batch norm or dropout, too many parameters).
    /// </summary>
    public static DataParallelStep? TryCreate(Sequential model, int top, Loss loss)
    {
        if (model.Device is not CpuDevice cpu) return null;
        var layers = model.Layers.Take(top).ToArray();
        if (layers.Any(l => l is BatchNorm or IRandomLayer)) return null;
        if (layers.Sum(l => l.Parameters.Sum(p => (long)p.Length)) > MaxParameters) return null;
        var lanes = cpu.Lanes;
        return lanes.Count < 2 ? null : new DataParallelStep(cpu, lanes, layers, loss, model.InputShape);
    }

    /// <summary>How many shards a batch of <paramref name="rows"/> is cut into (1: the step does not apply).</summary>
    public int ShardsFor(int rows) => Math.Min(_lanes.Count, rows / MinShardRows);

    /// <summary>
    /// Forward, loss and backward of a batch of <paramref name="rows"/> host images with one-hot targets, as shards:
    /// the batch's mean loss and, where asked, how many rows the model classifies right. The parameters' gradients
    /// are untouched until <see cref="AddGradients"/>, so a non-finite loss can stop training with nothing changed.
    /// </summary>
    public (float Loss, long Correct) Run(ReadOnlySpan<float> images, ReadOnlySpan<float> oneHot, int rows, bool countCorrect)
    {
        int shards = ShardsFor(rows);
        if (shards < 2) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"A data-parallel step needs at least {2 * MinShardRows} rows.");
        int classes = oneHot.Length / rows;
        if (images.Length != rows * _inputShape.Size || oneHot.Length != rows * classes)
            throw new ArgumentException($"A batch of {rows} needs {rows * _inputShape.Size} image values and {rows * classes} targets, got {images.Length} and {oneHot.Length}.");
        fixed (float* x = images, t = oneHot)
        {
            _images = x;
            _oneHot = t;
            try
            {
                return RunShards(rows, shards, classes, countCorrect);
            }
            finally
            {
                _images = null;
                _oneHot = null;
            }
        }
    }

    /// <summary>
    /// <see cref="Run(ReadOnlySpan{float}, ReadOnlySpan{float}, int, bool)"/> on batch <paramref name="index"/> of
    /// <paramref name="epoch"/> from <paramref name="loader"/>, each shard gathering (and augmenting) its own rows on
    /// its own worker, so the batch is never copied whole on one thread first.
    /// </summary>
    public (float Loss, long Correct) Run(DataLoader loader, int epoch, int index, bool countCorrect)
    {
        ArgumentNullException.ThrowIfNull(loader);
        int rows = loader.RowsIn(index), shards = ShardsFor(rows);
        if (shards < 2) throw new ArgumentOutOfRangeException(nameof(index), rows, $"A data-parallel step needs at least {2 * MinShardRows} rows.");
        if (loader.Dataset.InputShape != _inputShape)
            throw new ArgumentException($"The loader's images are {loader.Dataset.InputShape}, the model takes {_inputShape}.", nameof(loader));
        loader.Order(epoch); // shuffled here, once, before the shards read it
        (_loader, _epoch, _batchIndex) = (loader, epoch, index);
        try
        {
            return RunShards(rows, shards, loader.Dataset.ClassCount, countCorrect);
        }
        finally
        {
            _loader = null;
        }
    }

    private (float Loss, long Correct) RunShards(int rows, int shards, int classes, bool countCorrect)
    {
        (_rows, _shardCount, _classes, _countCorrect) = (rows, shards, classes, countCorrect);
        _device.RunOnLanes(shards, _runShard);
        double loss = 0;
        long correct = 0;
        for (int s = 0; s < shards; s++)
        {
            loss += (double)_shards[s].Loss * _shards[s].Rows;
            correct += _shards[s].Correct;
        }
        return ((float)(loss / rows), correct);
    }

    /// <summary>
    /// Adds the last Run's shard gradients, each weighted by its share of the batch, into the
    /// parameters' gradients (accumulating, as Backward does; a pending ZeroGrad is overwritten instead of filled).
    /// </summary>
    public void AddGradients()
    {
        int shards = _shardCount, count = _parameters.Length;
        var weights = _weights[shards];
        for (int s = 0; s < shards; s++) weights[s] = (float)_shards[s].Rows / _rows;
        for (int i = 0; i < count; i++)
        {
            var slot = _parameters[i].Slot;
            _keep[i] = !slot.TakeZero();
            _targets[i] = slot.Unfilled.Buffer;
            for (int s = 0; s < shards; s++) _parts[i * shards + s] = _shards[s].Gradients[_parameters[i]].Unfilled.Buffer;
        }
        _device.SumShards(_targets, _keep, _lengths, _parts.AsSpan(0, count * shards), weights);
    }

    /// <summary>Shard <paramref name="s"/> of the step in progress, on its lane (on worker s where it is free).</summary>
    private void RunShard(int s)
    {
        var shard = _shards[s];
        int first = (int)((long)_rows * s / _shardCount), rows = (int)((long)_rows * (s + 1) / _shardCount) - first;
        int sample = _inputShape.Size;
        var lane = shard.Lane;
        var x = shard.Input.Get(_inputShape.WithBatch(rows));
        var t = shard.Target.Get(new Shape(rows, _classes));
        if (_loader is not null)
        {
            var (imageRoom, oneHotRoom) = shard.Staging(rows * sample, rows * _classes);
            var images = imageRoom.AsSpan(0, rows * sample);
            var oneHot = oneHotRoom.AsSpan(0, rows * _classes);
            _loader.CopyRows(_epoch, _batchIndex, first, rows, images, oneHot);
            lane.Upload(images, x.Buffer);
            lane.Upload(oneHot, t.Buffer);
        }
        else
        {
            lane.Upload(new ReadOnlySpan<float>(_images + (long)first * sample, rows * sample), x.Buffer);
            lane.Upload(new ReadOnlySpan<float>(_oneHot + (long)first * _classes, rows * _classes), t.Buffer);
        }
        shard.Rows = rows;

        var h = x;
        for (int i = 0; i < _layers.Length; i++) h = _layers[i].Forward(h, training: true, shard.Scratch[i]);
        var gradient = shard.LossGradient.Get(h.Shape);
        shard.Loss = _loss.Forward(h, t, gradient);
        shard.Correct = _countCorrect ? lane.CountCorrect(rows, _classes, h.Buffer, t.Buffer) : 0;
        if (!float.IsFinite(shard.Loss)) return; // the step stops; nothing reads this shard's gradients

        foreach (var slot in shard.Gradients.Values) slot.Zero();
        Tensor? dy = gradient;
        for (int i = _layers.Length - 1; i >= 0; i--) dy = _layers[i].Backward(dy!, needInputGradient: i > 0, shard.Scratch[i]);
        // A parameter no op wrote is 0 (every layer here writes all of its own; this keeps the sum right regardless).
        foreach (var slot in shard.Gradients.Values) if (slot.IsZero) _ = slot.Current;
    }

    public void Dispose()
    {
        foreach (var shard in _shards) shard.Dispose();
    }

    /// <summary>One lane's memory: its layers' scratch, its gradients, its slice of the batch and its results.</summary>
    private sealed class Shard : IDisposable
    {
        public Shard(CpuDevice lane, Layer[] layers, Parameter[] parameters)
        {
            Lane = lane;
            Gradients = parameters.ToDictionary(p => p, p => new GradientSlot(lane, p.Shape));
            Scratch = layers.Select(_ => new LayerScratch(lane, Gradients)).ToArray();
            Input = new Workspace(lane);
            Target = new Workspace(lane);
            LossGradient = new Workspace(lane);
        }

        public CpuDevice Lane { get; }
        public Dictionary<Parameter, GradientSlot> Gradients { get; }
        public LayerScratch[] Scratch { get; }
        public Workspace Input { get; }
        public Workspace Target { get; }
        public Workspace LossGradient { get; }
        private float[] _images = [], _oneHot = [];

        /// <summary>Host room for the shard's rows gathered from a loader, grown to the largest shard (then reused).</summary>
        public (float[] Images, float[] OneHot) Staging(int images, int oneHot)
        {
            if (_images.Length < images) _images = new float[images];
            if (_oneHot.Length < oneHot) _oneHot = new float[oneHot];
            return (_images, _oneHot);
        }

        public int Rows { get; set; }
        public float Loss { get; set; }
        public long Correct { get; set; }

        public void Dispose()
        {
            foreach (var s in Scratch) s.Dispose();
            foreach (var g in Gradients.Values) g.Dispose();
            Input.Dispose();
            Target.Dispose();
            LossGradient.Dispose();
        }
    }
}
