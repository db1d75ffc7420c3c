using System.Text;
using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Tensors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CnnNative.Training;

/// <summary>
/// A stack of layers on one device, Keras-style (Add, Compile, Fit, Evaluate, Predict, Summary) with the
/// PyTorch-style pieces exposed too (Forward, Backward, and the optimizer's Step/ZeroGrad).
/// </summary>
/// <remarks>
/// Layers are built as they are added, so a layer that does not fit its input fails at Add with the shapes.
/// With categorical cross-entropy and a trailing Softmax layer, training feeds the logits below the Softmax to
/// the fused softmax-cross-entropy op; Predict and Forward still return probabilities.
/// </remarks>
public sealed class Sequential : IDisposable
{
    private readonly List<Layer> _layers = [];
    private readonly Dictionary<string, int> _kindCounts = [];
    private readonly Random _initRandom;
    private readonly ILogger _logger;
    private Workspace? _input, _target, _lossGradient;
    private Tensor? _lastLossGradient;
    private bool _lastForwardSkippedSoftmax;
    private readonly PassScratchPool _scratches;
    private readonly FitGate _gate = new();
    private DataParallelStep? _parallel;
    private (int Layers, int Top, Loss? Loss) _parallelKey;

    /// <summary>An empty model on <paramref name="device"/> taking samples of <paramref name="inputShape"/>.</summary>
    /// <param name="device">Where every layer runs.</param>
    /// <param name="inputShape">One sample's shape, no batch dimension, e.g. (1, 28, 28).</param>
    /// <param name="seed">Seeds the weights' initialisation, the shuffling and dropout: the same seed gives the same run.</param>
    /// <param name="loggerFactory">Where Fit logs its epochs (nothing by default).</param>
    public Sequential(IDevice device, Shape inputShape, int seed = 0, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
        InputShape = inputShape;
        Seed = seed;
        _initRandom = new Random(seed);
        _scratches = new PassScratchPool(device);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<Sequential>();
    }

    /// <summary>The device every layer runs on.</summary>
    public IDevice Device { get; }
    /// <summary>One sample's input shape (no batch dimension).</summary>
    public Shape InputShape { get; }
    /// <summary>The seed of initialisation, shuffling and dropout.</summary>
    public int Seed { get; }
    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;
    /// <summary>One sample's output shape: the last layer's (the input shape while there is none).</summary>
    public Shape OutputShape => _layers.Count > 0 ? _layers[^1].OutputShape : InputShape;

    /// <summary>The optimizer given to Compile (null before); the model disposes it.</summary>
    public Optimizer? Optimizer { get; private set; }
    /// <summary>The loss given to Compile (null before).</summary>
    public Loss? Loss { get; private set; }
    /// <summary>The metrics given to Compile.</summary>
    public IReadOnlyList<Metric> Metrics { get; private set; } = [];

    /// <summary>Every layer's trainable parameters, in layer order.</summary>
    public IEnumerable<Parameter> Parameters => _layers.SelectMany(l => l.Parameters);
    /// <summary>The number of trainable values.</summary>
    public long ParameterCount => Parameters.Sum(p => (long)p.Length);

    internal ILogger Logger => _logger;

    /// <summary>Every layer's buffers: state saved with the model but not trained (BatchNorm's running statistics).</summary>
    public IEnumerable<LayerBuffer> Buffers => _layers.SelectMany(l => l.Buffers);

    /// <summary>The values in <see cref="Buffers"/> (Keras' "non-trainable params").</summary>
    public long BufferCount => Buffers.Sum(b => (long)b.Length);

    /// <summary>Everything training changes in the model, by name: every parameter's value, then every buffer.</summary>
    internal IEnumerable<(string Name, Tensor Value)> State
        => Parameters.Select(p => (p.Name, p.Value)).Concat(Buffers.Select(b => (b.Name, b.Value)));

    /// <summary>The model as a spec string, e.g. "conv32k5p2-relu-maxpool2-flatten-dense10-softmax".</summary>
    public string Spec => string.Join('-', _layers.Select(l => l.Spec));

    /// <summary>Appends a layer, building it for the current output shape.</summary>
    public Sequential Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (Optimizer is not null) throw new InvalidOperationException("Layers cannot be added after Compile.");
        string kind = layer.NamePrefix;
        int count = _kindCounts.GetValueOrDefault(kind) + 1;
        _kindCounts[kind] = count;
        layer.Name = $"{kind}_{count}";
        layer.Build(Device, OutputShape, new Random(_initRandom.Next()));
        layer.NameParameters();
        // Conv2d → ReLU and Linear → ReLU: the activation is applied in the layer's device op (one pass less).
        if (layer is ActivationLayer activation && _layers.Count > 0 && _layers[^1].TryFuse(activation)) activation.FusedIntoPrevious = true;
        // ReLU → pooling: the pooling layer's backward applies the ReLU's gradient too (one pass less in training).
        if (layer is PoolingLayer pooling && _layers.Count > 0 && _layers[^1] is ActivationLayer before && pooling.TryFuseGradientOf(before))
            before.GradientFusedIntoNext = true;
        // Conv2d or Linear → BatchNorm (→ ReLU): in the model's inference passes the normalization is folded into the weights.
        if (layer is BatchNorm norm && _layers.Count > 0 && _layers[^1].TryFoldNorm(norm)) norm.FoldedIntoPrevious = true;
        if (layer is ActivationLayer after && !after.FusedIntoPrevious && _layers.Count > 1 && _layers[^1] is BatchNorm { FoldedIntoPrevious: true }
            && _layers[^2].TryFoldActivationAfterNorm(after))
            after.FoldedAfterNorm = true;
        // Conv2d or pooling → Conv2d or max pooling: in inference the output may stay in the device's layout.
        if (layer is Conv2d or PoolingLayer { Mode: PoolMode.Max }
            && _layers.LastOrDefault(l => l is not (ActivationLayer { FusedIntoPrevious: true } or ActivationLayer { FoldedAfterNorm: true } or BatchNorm { FoldedIntoPrevious: true }))
                is { } previous and (Conv2d or PoolingLayer))
            previous.OutputInDeviceLayout = true;
        _layers.Add(layer);
        return this;
    }

    /// <summary>Chooses how to train: the optimizer takes charge of every parameter.</summary>
    public void Compile(Optimizer optimizer, Loss loss, params Metric[] metrics)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        if (_layers.Count == 0) throw new InvalidOperationException("Add layers before Compile.");
        if (Optimizer is not null) throw new InvalidOperationException("The model is already compiled.");
        optimizer.Attach(Parameters);
        (Optimizer, Loss, Metrics) = (optimizer, loss, metrics);
    }

    internal bool EndsInSoftmax => _layers.Count > 0 && _layers[^1] is Softmax;

    // ------------------------------------------------------------------ the explicit path

    /// <summary>
    /// Runs every layer. The result belongs to the model and is valid until the next Forward. This is the explicit
    /// training path: one caller at a time (use <see cref="Predict(ReadOnlySpan{float}, int, CancellationToken)"/> from many threads).
    /// </summary>
    public Tensor Forward(Tensor x, bool training = false) => Run(x, training, _layers.Count);

    /// <summary>Like Forward, but stops below a trailing Softmax: the input a logits loss wants.</summary>
    public Tensor ForwardLogits(Tensor x, bool training = false)
        => Run(x, training, EndsInSoftmax ? _layers.Count - 1 : _layers.Count);

    private Tensor Run(Tensor x, bool training, int layerCount)
    {
        if (_layers.Count == 0) throw new InvalidOperationException("The model has no layers.");
        if (x.Shape.Rank != InputShape.Rank + 1 || x.Shape.WithoutBatch() != InputShape)
            throw new ArgumentException($"The model expects a batch of {InputShape}, got {x.Shape}.", nameof(x));
        _gate.ThrowIfFitElsewhere(training ? "Forward(training: true)" : "Forward");
        for (int i = 0; i < layerCount; i++) x = _layers[i].Forward(x, training);
        _lastForwardSkippedSoftmax = layerCount < _layers.Count;
        return x;
    }

    /// <summary>
    /// The compiled loss of <paramref name="output"/> (from Forward, or from ForwardLogits when the loss takes logits)
    /// against <paramref name="targets"/> (one-hot rows for class labels), as the mean per sample. dLoss/dOutput is
    /// kept in the model's training memory (<see cref="LossGradient"/>) for <see cref="Backward()"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is not compiled, or Fit is training it on another thread.</exception>
    public float ComputeLoss(Tensor output, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(output);
        var loss = Loss ?? throw new InvalidOperationException("Call Compile(optimizer, loss) before ComputeLoss.");
        _gate.ThrowIfFitElsewhere("ComputeLoss");
        _lossGradient ??= new Workspace(Device);
        var gradient = _lossGradient.Get(output.Shape);
        float value = loss.Forward(output, targets, gradient);
        _lastLossGradient = gradient;
        return value;
    }

    /// <summary>dLoss/dOutput of the last <see cref="ComputeLoss"/>, in the model's memory (valid until the next one).</summary>
    /// <exception cref="InvalidOperationException">ComputeLoss has not run yet.</exception>
    public Tensor LossGradient => _lastLossGradient ?? throw new InvalidOperationException("LossGradient is read before ComputeLoss ran.");

    /// <summary>Back-propagates the gradient of the last <see cref="ComputeLoss"/> (see <see cref="Backward(Tensor)"/>).</summary>
    public void Backward() => Backward(LossGradient);

    /// <summary>
    /// Back-propagates dLoss/dOutput of the last Forward (or ForwardLogits) through every layer, accumulating
    /// parameter gradients. The first layer skips its input gradient, which nobody needs.
    /// </summary>
    public void Backward(Tensor outputGradient)
    {
        _gate.ThrowIfFitElsewhere("Backward");
        int top = _lastForwardSkippedSoftmax ? _layers.Count - 2 : _layers.Count - 1;
        Tensor? dy = outputGradient;
        for (int i = top; i >= 0; i--) dy = _layers[i].Backward(dy!, needInputGradient: i > 0);
    }

    // ------------------------------------------------------------------ Keras-style

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs on shuffled mini-batches (the last batch may be smaller).
    /// Throws <see cref="TrainingDivergedException"/> naming the epoch and batch if the loss turns NaN or
    /// infinite; the weights are left as they were before that batch.
    /// </summary>
    /// <param name="train">The training data.</param>
    /// <param name="batchSize">Images per step.</param>
    /// <param name="epochs">Passes over the training data.</param>
    /// <param name="validation">Data evaluated after every epoch (ValidationLoss/ValidationAccuracy in the history).</param>
    /// <param name="callback">A single progress callback (the older form of <paramref name="callbacks"/>; runs first).</param>
    /// <param name="shuffle">A new seeded order every epoch.</param>
    /// <param name="schedule">How the learning rate moves (constant by default).</param>
    /// <param name="cancellation">Stops training between batches (after saving a checkpoint, when one is set).</param>
    /// <param name="callbacks">EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CsvLogger, ... in the order to call them.</param>
    /// <param name="validationSplit">
    /// Hold out this seeded random fraction of <paramref name="train"/> as the validation data (instead of
    /// <paramref name="validation"/>), so that choices such as early stopping never look at the test set.
    /// </param>
    /// <param name="augmentation">Random shifts and flips of the training images, new every epoch.</param>
    /// <param name="checkpoint">Save the whole training state as it goes, to resume after a crash.</param>
    /// <param name="resumeFrom">
    /// A checkpoint written by an earlier Fit with the same model, data and settings: training continues where it
    /// stood and ends with the weights the uninterrupted run would have had. A checkpoint of another run is refused.
    /// </param>
    /// <param name="progress">Told each epoch's result after the callbacks (e.g. a <see cref="Progress{T}"/> updating a UI).</param>
    /// <exception cref="InvalidOperationException">Fit is already training this model (Fit is exclusive; see the README's "Threading").</exception>
    public History Fit(Dataset train, int batchSize = 32, int epochs = 1, Dataset? validation = null,
                       TrainingCallback? callback = null, bool shuffle = true, LearningRateSchedule? schedule = null,
                       CancellationToken cancellation = default, IEnumerable<ICallback>? callbacks = null,
                       double validationSplit = 0, Augmentation? augmentation = null,
                       TrainingCheckpoint? checkpoint = null, string? resumeFrom = null, IProgress<EpochResult>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var (optimizer, loss) = RequireCompiled();
        var all = new List<ICallback>();
        if (callback is not null) all.Add(callback);
        if (callbacks is not null) all.AddRange(callbacks.Select(c => c ?? throw new ArgumentException("A callback is null.", nameof(callbacks))));
        var settings = new FitSettings(train, batchSize, epochs, validation, validationSplit, shuffle, schedule ?? LearningRateSchedule.Constant,
                                       augmentation, all, checkpoint, resumeFrom, cancellation, progress);
        var loop = new FitLoop(this, optimizer, loss, settings);
        _gate.EnterFit();
        try
        {
            return loop.Run();
        }
        finally
        {
            _gate.ExitFit();
        }
    }

    /// <summary>Mean loss and accuracy on <paramref name="data"/> (and the confusion matrix, rows = true class).</summary>
    /// <remarks>Safe to call from many threads at once, each call with its own memory (see the README's "Threading").</remarks>
    /// <param name="data">The images and labels to score.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="confusion">Also count the confusion matrix.</param>
    /// <param name="cancellation">Stops between batches with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InvalidOperationException">Fit is training this model on another thread.</exception>
    public Evaluation Evaluate(Dataset data, int batchSize = 256, bool confusion = false, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data, nameof(data));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"Batch size must be positive, got {batchSize}.");
        var loss = Loss ?? global::CnnNative.Training.Loss.CategoricalCrossEntropy;
        var loader = new DataLoader(data, batchSize, shuffle: false);
        int layerCount = loss.TakesLogits && EndsInSoftmax ? _layers.Count - 1 : _layers.Count;
        int classes = data.ClassCount;
        var matrix = confusion ? new int[classes, classes] : null;
        var scores = confusion ? new float[batchSize * classes] : null;
        double lossSum = 0;
        long correct = 0;
        var pass = BeginInference("Evaluate");
        try
        {
            foreach (var batch in loader.Epoch(0))
            {
                cancellation.ThrowIfCancellationRequested();
                var x = pass.Input.Get(InputShape.WithBatch(batch.Count));
                var t = pass.Target.Get(new Shape(batch.Count, classes));
                Device.Upload(batch.Images, x.Buffer);
                Device.Upload(batch.OneHotTargets, t.Buffer);
                var output = Infer(x, pass, layerCount);
                lossSum += (double)loss.Forward(output, t, pass.LossGradient.Get(output.Shape)) * batch.Count;
                correct += Device.CountCorrect(batch.Count, classes, output.Buffer, t.Buffer);
                if (matrix is not null)
                {
                    var s = scores.AsSpan(0, batch.Count * classes);
                    output.CopyTo(s);
                    for (int i = 0; i < batch.Count; i++) matrix[batch.Labels[i], Prediction.ArgMax(s.Slice(i * classes, classes))]++;
                }
            }
        }
        finally
        {
            EndInference(pass);
        }
        return new Evaluation(data.Count, lossSum / data.Count, (double)correct / data.Count, matrix);
    }

    /// <summary>
    /// The model's outputs (probabilities when it ends in Softmax) for <paramref name="images"/>, a whole number
    /// of samples of <see cref="InputShape"/> laid out NCHW; returns count × outputs values.
    /// </summary>
    /// <remarks>
    /// Safe to call from many threads at once, on one model or on models sharing a device: each call runs in memory of
    /// its own, with exactly the results of one thread (see the README's "Threading").
    /// </remarks>
    /// <param name="images">count × <see cref="InputShape"/> values.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="cancellation">Stops between batches with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InvalidOperationException">Fit is training this model on another thread.</exception>
    public float[] Predict(ReadOnlySpan<float> images, int batchSize = 256, CancellationToken cancellation = default)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"Batch size must be positive, got {batchSize}.");
        int sample = InputShape.Size;
        if (images.Length == 0 || images.Length % sample != 0)
            throw new ArgumentException($"Predict needs a whole number of {InputShape} samples ({sample} values each), got {images.Length} values.", nameof(images));
        int bad = IndexOfNonFinite(images);
        if (bad >= 0) throw new ArgumentException($"Predict input value {bad} (sample {bad / sample}) is {images[bad]}; inputs must be finite.", nameof(images));
        int count = images.Length / sample, outputs = OutputShape.Size;
        var result = new float[count * outputs];
        var pass = BeginInference("Predict");
        try
        {
            for (int start = 0; start < count; start += batchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                int n = Math.Min(batchSize, count - start);
                var x = pass.Input.Get(InputShape.WithBatch(n));
                Device.Upload(images.Slice(start * sample, n * sample), x.Buffer);
                Infer(x, pass, _layers.Count).CopyTo(result.AsSpan(start * outputs, n * outputs));
            }
        }
        finally
        {
            EndInference(pass);
        }
        return result;
    }

    /// <summary>
    /// The model's outputs for <paramref name="images"/>, a tensor of shape (count, <see cref="InputShape"/>) on any
    /// device (its values are read back to the host and predicted as the span overload does).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="images"/> is not a batch of <see cref="InputShape"/>.</exception>
    public float[] Predict(Tensor images, int batchSize = 256, CancellationToken cancellation = default)
        => Predict(HostValues(images), batchSize, cancellation);

    /// <summary>
    /// The model's outputs for <paramref name="images"/> (see <see cref="Predict(ReadOnlySpan{float}, int, CancellationToken)"/>)
    /// as a <see cref="Prediction"/>: per-sample probabilities and the class each sample picks.
    /// </summary>
    public Prediction Classify(ReadOnlySpan<float> images, int batchSize = 256, CancellationToken cancellation = default)
        => new(Predict(images, batchSize, cancellation), images.Length / InputShape.Size);

    /// <summary>The <see cref="Prediction"/> for a tensor of images (see <see cref="Predict(Tensor, int, CancellationToken)"/>).</summary>
    public Prediction Classify(Tensor images, int batchSize = 256, CancellationToken cancellation = default)
        => Classify(HostValues(images), batchSize, cancellation);

    /// <summary>Each image's class: the index of the model's largest output for it (the first one on a tie).</summary>
    public IReadOnlyList<int> PredictClasses(ReadOnlySpan<float> images, int batchSize = 256, CancellationToken cancellation = default)
        => Classify(images, batchSize, cancellation).Classes;

    private float[] HostValues(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Shape.Rank != InputShape.Rank + 1 || images.Shape.WithoutBatch() != InputShape)
            throw new ArgumentException($"The model expects a batch of {InputShape}, got {images.Shape}.", nameof(images));
        return images.ToArray();
    }

    /// <summary>Admits a Predict or Evaluate call (unless Fit holds the model) and rents its memory.</summary>
    private PassScratch BeginInference(string operation)
    {
        if (_layers.Count == 0) throw new InvalidOperationException("The model has no layers.");
        _gate.EnterInference(operation);
        try
        {
            return _scratches.Rent(_layers.Count);
        }
        catch
        {
            _gate.ExitInference();
            throw;
        }
    }

    private void EndInference(PassScratch pass)
    {
        _scratches.Return(pass);
        _gate.ExitInference();
    }

    /// <summary>The first <paramref name="layerCount"/> layers in inference mode, in <paramref name="pass"/>'s memory.</summary>
    private Tensor Infer(Tensor x, PassScratch pass, int layerCount)
    {
        for (int i = 0; i < layerCount; i++) x = _layers[i].Forward(x, training: false, pass[i]);
        return x;
    }

    /// <summary>A Keras-like table: layer, output shape, parameter count, and the totals.</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        const string rule = "───────────────────────────────────────────────────────────────────";
        sb.AppendLine($"Model: sequential on {Device.Name}, input {InputShape}");
        sb.AppendLine(rule);
        sb.AppendLine($"{"Layer (type)",-32}{"Output shape",-22}{"Param #",13}");
        sb.AppendLine(rule);
        foreach (var layer in _layers)
        {
            // As Keras counts: a layer's parameters and its buffers (non-trainable), e.g. 4·C for a BatchNorm.
            long n = layer.Parameters.Sum(p => (long)p.Length) + layer.Buffers.Sum(b => (long)b.Length);
            sb.AppendLine($"{$"{layer.Name} ({layer.Kind})",-32}{"(None, " + string.Join(", ", layer.OutputShape.ToArray()) + ")",-22}{n,13:N0}");
        }
        sb.AppendLine(rule);
        long total = ParameterCount + BufferCount;
        sb.AppendLine($"Total params: {total:N0} ({total * 4 / 1024.0:F1} KiB)");
        sb.AppendLine($"Trainable params: {ParameterCount:N0}");
        if (BufferCount > 0) sb.AppendLine($"Non-trainable params: {BufferCount:N0} (running statistics)");
        if (Optimizer is not null) sb.AppendLine($"Optimizer: {Optimizer.Spec}; loss: {Loss!.Name}");
        return sb.ToString();
    }

    /// <summary>
    /// Saves weights, architecture and settings as safetensors (atomically: temp file, then rename), creating the
    /// folder when it is missing.
    /// </summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
        => Serialization.ModelFile.Save(this, path, metadata);

    /// <summary>Writes what <see cref="Save(string, IReadOnlyDictionary{string, string}?)"/> saves to <paramref name="stream"/> (left open).</summary>
    public void Save(Stream stream, IReadOnlyDictionary<string, string>? metadata = null)
        => Serialization.ModelFile.Save(this, stream, metadata);

    /// <summary>Loads a model saved by <see cref="Save(string, IReadOnlyDictionary{string, string}?)"/> onto <paramref name="device"/>.</summary>
    public static Sequential Load(string path, IDevice device, ILoggerFactory? loggerFactory = null)
        => Serialization.ModelFile.Load(path, device, loggerFactory);

    /// <summary>Loads a model from the bytes <see cref="Save(Stream, IReadOnlyDictionary{string, string}?)"/> wrote (the stream is left open).</summary>
    public static Sequential Load(Stream stream, IDevice device, ILoggerFactory? loggerFactory = null)
        => Serialization.ModelFile.Load(stream, device, loggerFactory: loggerFactory);

    /// <summary>
    /// Reads saved weights into this model, as PyTorch's load_state_dict: the file must hold exactly this model's
    /// parameters and buffers by name, each of its shape; otherwise an <see cref="InvalidDataException"/> names the
    /// first difference and the model is unchanged.
    /// </summary>
    public void LoadWeights(string path) => Serialization.ModelFile.LoadWeights(this, path);

    /// <summary>Reads saved weights from <paramref name="stream"/> into this model (see <see cref="LoadWeights(string)"/>).</summary>
    public void LoadWeights(Stream stream) => Serialization.ModelFile.LoadWeights(this, stream);

    // ------------------------------------------------------------------ helpers

    /// <summary>Runs <paramref name="upload"/>, which overwrites the weights, unless Fit is training the model on another thread.</summary>
    internal void ReplaceWeights(Action upload)
    {
        _gate.ThrowIfFitElsewhere("LoadWeights");
        upload();
    }

    private (Optimizer, Loss) RequireCompiled()
        => Optimizer is not null && Loss is not null ? (Optimizer, Loss)
           : throw new InvalidOperationException("Call Compile(optimizer, loss) before Fit.");

    internal void CheckData(Dataset data, string name)
    {
        if (data.InputShape != InputShape)
            throw new ArgumentException($"The model expects inputs of {InputShape} but the {name} data holds {data.InputShape} ({data.Source}).", name);
        if (data.ClassCount != OutputShape.Size)
            throw new ArgumentException($"The model outputs {OutputShape.Size} values but the {name} data has {data.ClassCount} classes ({data.Source}).", name);
    }

    /// <summary>
    /// Fit's data-parallel step for the first <paramref name="top"/> layers and <paramref name="loss"/>, made once and
    /// kept with the model (its lanes' memory is reused by every later Fit), or null where it does not apply.
    /// </summary>
    internal DataParallelStep? DataParallel(int top, Loss loss)
    {
        var key = (_layers.Count, top, loss);
        if (_parallelKey != key)
        {
            _parallel?.Dispose();
            _parallel = DataParallelStep.TryCreate(this, top, loss);
            _parallelKey = key;
        }
        return _parallel;
    }

    internal (Tensor x, Tensor t) Upload(ReadOnlySpan<float> images, ReadOnlySpan<float> targets, int n, int classes)
    {
        _input ??= new Workspace(Device);
        _target ??= new Workspace(Device);
        var x = _input.Get(InputShape.WithBatch(n));
        var t = _target.Get(new Shape(n, classes));
        Device.Upload(images, x.Buffer);
        Device.Upload(targets, t.Buffer);
        return (x, t);
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++) if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>Frees every layer, the optimizer and the model's memory on the device.</summary>
    public void Dispose()
    {
        foreach (var l in _layers) l.Dispose();
        Optimizer?.Dispose();
        _lossGradient?.Dispose();
        _input?.Dispose();
        _target?.Dispose();
        _parallel?.Dispose();
        _scratches.Dispose();
    }
}
