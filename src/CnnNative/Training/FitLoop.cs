using System.Diagnostics;
using System.Globalization;
using CnnNative.Data;
using CnnNative.Layers;
using CnnNative.Serialization;
using Microsoft.Extensions.Logging;

namespace CnnNative.Training;

/// <summary>What one Fit call was asked to do (Sequential.Fit's arguments, checked).</summary>
internal sealed record FitSettings(
    Dataset Train, int BatchSize, int Epochs, Dataset? Validation, double ValidationSplit, bool Shuffle,
    LearningRateSchedule Schedule, Augmentation? Augmentation, IReadOnlyList<ICallback> Callbacks,
    TrainingCheckpoint? Checkpoint, string? ResumeFrom, CancellationToken Cancellation, IProgress<EpochResult>? Progress);

/// <summary>
/// One Fit call: the epochs of shuffled (and augmented) mini-batches, the validation pass after each, the callbacks,
/// and the checkpoints that let a killed run continue.
/// </summary>
/// <remarks>
/// Everything random is a function of where training stands, never of how many batches ran in this process: the
/// epoch's order of (seed, epoch), each image's shift and flip of (seed, epoch, image), dropout of (layer seed,
/// optimizer step), the learning rate of (step, base rate). So a run resumed from a checkpoint at (epoch, batch)
/// computes exactly the batches an uninterrupted run computes from there, and ends with the same weights, bit for
/// bit, on a device whose results do not depend on timing (every device here, at a fixed thread count).
/// </remarks>
internal sealed class FitLoop
{
    private readonly Sequential _model;
    private readonly Optimizer _optimizer;
    private readonly Loss _loss;
    private readonly FitSettings _s;
    private readonly Dataset _train;
    private readonly Dataset? _validation;
    private readonly DataLoader _loader;
    private readonly List<IResumableCallback> _resumable;
    private readonly IRandomLayer[] _randomLayers;
    private readonly TrainingContext _context;
    private readonly History _history = new();
    private readonly Stopwatch _sinceSave = new();
    private readonly bool _logits;
    /// <summary>The batch's step as data-parallel shards on the cpu device's lanes, where that applies (else null).</summary>
    private readonly DataParallelStep? _parallel;
    private readonly Dictionary<string, string>? _run;

    // Where training stands: the epoch and batch to run next, and the running epoch's sums.
    private int _epoch = 1, _batch;
    private double _lossSum, _secondsBefore;
    private long _correct, _seen;

    public FitLoop(Sequential model, Optimizer optimizer, Loss loss, FitSettings settings)
    {
        (_model, _optimizer, _loss, _s) = (model, optimizer, loss, settings);
        if (settings.BatchSize <= 0) throw new ArgumentOutOfRangeException("batchSize", $"Batch size must be positive, got {settings.BatchSize}.");
        if (settings.Epochs <= 0) throw new ArgumentOutOfRangeException("epochs", $"Epochs must be positive, got {settings.Epochs}.");
        (_train, _validation) = (settings.Train, settings.Validation);
        if (settings.ValidationSplit != 0)
        {
            if (settings.Validation is not null)
                throw new ArgumentException("Give either validation data or a validationSplit, not both.", "validationSplit");
            (_train, _validation) = settings.Train.SplitValidation(settings.ValidationSplit, model.Seed);
        }
        model.CheckData(_train, "train");
        if (_validation is not null) model.CheckData(_validation, "validation");
        _loader = new DataLoader(_train, settings.BatchSize, settings.Shuffle, model.Seed, augmentation: settings.Augmentation);
        _resumable = settings.Callbacks.OfType<IResumableCallback>().ToList();
        _randomLayers = model.Layers.OfType<IRandomLayer>().ToArray();
        _logits = loss.TakesLogits && model.EndsInSoftmax;
        _parallel = model.DataParallel(_logits ? model.Layers.Count - 1 : model.Layers.Count, loss);
        _context = new TrainingContext(model, optimizer, _history, settings.Epochs, _loader.BatchCount, _validation is not null, optimizer.LearningRate);
        // Now, while the optimizer still shows its base rate in its spec (the schedule changes it every step).
        if (settings.Checkpoint is not null || settings.ResumeFrom is not null) _run = RunIdentity();
    }

    private int Batches => _loader.BatchCount;

    private void ThrowIfDiverged(float batchLoss, int epoch)
    {
        if (!float.IsFinite(batchLoss))
            throw new TrainingDivergedException(
                $"The loss became {batchLoss} at epoch {epoch}, batch {_batch + 1} of {Batches}; " +
                $"training stopped before that batch changed the weights. Try a lower learning rate (now {_optimizer.LearningRate}).");
    }

    public History Run()
    {
        var snapshot = _s.ResumeFrom is null ? null : CheckpointFile.Read(_s.ResumeFrom);
        if (snapshot is not null)
        {
            CheckSameRun(snapshot);
            _context.ResumedAt = (snapshot.Progress.Epoch, snapshot.Progress.Batch + 1);
            _context.StopTraining = snapshot.Progress.Stopped;
        }
        try
        {
            foreach (var c in _s.Callbacks) c.OnTrainBegin(_context);
            if (snapshot is not null) Restore(snapshot);
            _sinceSave.Restart();
            while (_epoch <= _s.Epochs && !_context.StopTraining)
            {
                RunEpoch();
                if (_s.Checkpoint is not null) Save(_epoch, 0);
            }
            foreach (var c in _s.Callbacks) c.OnTrainEnd(_context);
        }
        finally
        {
            _optimizer.LearningRate = _context.BaseLearningRate;
        }
        if (_s.Checkpoint is { KeepWhenDone: false } checkpoint) File.Delete(checkpoint.Path);
        return _history;
    }

    private void RunEpoch()
    {
        int epoch = _epoch, classes = _train.ClassCount, totalSteps = Batches * _s.Epochs;
        bool countCorrect = _model.Metrics.Contains(Metric.Accuracy);
        _context.Epoch = epoch;
        foreach (var c in _s.Callbacks) c.OnEpochBegin(_context, epoch);
        var clock = Stopwatch.StartNew();
        for (; _batch < Batches; _batch++)
        {
            if (_s.Cancellation.IsCancellationRequested)
            {
                if (_s.Checkpoint is not null) SaveMidEpoch(clock, _batch);
                _s.Cancellation.ThrowIfCancellationRequested();
            }
            foreach (var layer in _randomLayers) layer.RandomStep = _optimizer.Steps;
            int rows = _loader.RowsIn(_batch);
            float batchLoss;
            long batchCorrect = 0;
            if (_parallel is not null && _parallel.ShardsFor(rows) >= 2)
            {
                // Each shard gathers its own rows of the batch on its own worker.
                (batchLoss, batchCorrect) = _parallel.Run(_loader, epoch - 1, _batch, countCorrect);
                ThrowIfDiverged(batchLoss, epoch);
                _optimizer.ZeroGrad();
                _parallel.AddGradients();
            }
            else
            {
                var batch = _loader.GetBatch(epoch - 1, _batch);
                var (x, t) = _model.Upload(batch.Images, batch.OneHotTargets, batch.Count, classes);
                var output = _logits ? _model.ForwardLogits(x, training: true) : _model.Forward(x, training: true);
                batchLoss = _model.ComputeLoss(output, t);
                ThrowIfDiverged(batchLoss, epoch);
                _optimizer.ZeroGrad();
                _model.Backward();
                if (countCorrect) batchCorrect = _model.Device.CountCorrect(batch.Count, classes, output.Buffer, t.Buffer);
            }
            _optimizer.LearningRate = _s.Schedule.At((epoch - 1) * Batches + _batch, totalSteps, _context.BaseLearningRate, Batches);
            _optimizer.Step();
            _lossSum += (double)batchLoss * rows;
            _seen += rows;
            _correct += batchCorrect;
            var progress = new BatchResult(epoch, _batch + 1, Batches, _lossSum / _seen, (double)_correct / _seen,
                                           _seen / (_secondsBefore + clock.Elapsed.TotalSeconds));
            foreach (var c in _s.Callbacks) c.OnBatchEnd(_context, progress);
            if (_batch + 1 < Batches && MidEpochSaveDue(_batch + 1)) SaveMidEpoch(clock, _batch + 1);
        }
        _model.Device.Synchronize();
        double seconds = _secondsBefore + clock.Elapsed.TotalSeconds;
        Evaluation? val = _validation is null ? null : _model.Evaluate(_validation, Math.Max(_s.BatchSize, 256));
        var result = new EpochResult(epoch, _lossSum / _seen, (double)_correct / _seen, val?.Loss, val?.Accuracy, seconds, _seen / seconds)
        {
            LearningRate = _optimizer.LearningRate,
        };
        _history.Add(result);
        _model.Logger.LogInformation("epoch {Epoch}/{Epochs}: loss {Loss:F4}, accuracy {Accuracy:P2}, validation accuracy {ValAccuracy}, {Seconds:F1} s, {Rate:F0} images/s",
                                     epoch, _s.Epochs, result.TrainLoss, result.TrainAccuracy,
                                     val is null ? "-" : val.Accuracy.ToString("P2", CultureInfo.InvariantCulture), seconds, result.ImagesPerSecond);
        foreach (var c in _s.Callbacks) c.OnEpochEnd(_context, result);
        _s.Progress?.Report(result);
        (_epoch, _batch, _lossSum, _correct, _seen, _secondsBefore) = (epoch + 1, 0, 0, 0, 0, 0);
    }

    private bool MidEpochSaveDue(int batchesDone)
        => _s.Checkpoint is { } c
           && ((c.EveryBatches > 0 && batchesDone % c.EveryBatches == 0) || (c.Every is { } every && _sinceSave.Elapsed >= every));

    /// <summary>Saves with <paramref name="nextBatch"/> of this epoch to run next, its clock stopped: saving is not training time.</summary>
    private void SaveMidEpoch(Stopwatch clock, int nextBatch)
    {
        clock.Stop();
        Save(_epoch, nextBatch, _secondsBefore + clock.Elapsed.TotalSeconds);
        clock.Start();
    }

    // ------------------------------------------------------------------ checkpoints

    /// <summary>Writes the checkpoint for a run that continues with batch <paramref name="batch"/> of epoch <paramref name="epoch"/>.</summary>
    private void Save(int epoch, int batch, double epochSeconds = 0)
    {
        var path = _s.Checkpoint!.Path;
        var states = _resumable.Select(c =>
        {
            var state = new CallbackState();
            c.SaveState(state);
            return state;
        }).ToList();
        var snapshot = new TrainingSnapshot
        {
            Run = _run!,
            Progress = new TrainingPosition(epoch, batch, _optimizer.Steps, _context.BaseLearningRate, _lossSum, _correct, _seen,
                                            epochSeconds, _context.StopTraining, [.. _history.Epochs]),
            Weights = _model.State.ToDictionary(s => s.Name, s => s.Value.ToArray()),
            OptimizerState = _optimizer.ExportState(),
            Callbacks = states,
        };
        CheckpointFile.Write(path, snapshot);
        _sinceSave.Restart();
        _model.Logger.LogDebug("checkpoint {Path}: epoch {Epoch}, batch {Batch}", path, epoch, batch + 1);
    }

    /// <summary>What a checkpoint must match to continue this run: model, data and every setting that shapes the result.</summary>
    private Dictionary<string, string> RunIdentity() => new()
    {
        ["model"] = $"{_model.Spec} on input {_model.InputShape}",
        ["seed"] = _model.Seed.ToString(CultureInfo.InvariantCulture),
        ["data"] = _s.Train.Fingerprint(),
        ["validation_split"] = _s.ValidationSplit.ToString("R", CultureInfo.InvariantCulture),
        ["validation_data"] = _s.Validation?.Fingerprint() ?? "none",
        ["optimizer"] = _optimizer.Spec,
        ["loss"] = _loss.Name,
        ["schedule"] = _s.Schedule.Spec,
        ["epochs"] = _s.Epochs.ToString(CultureInfo.InvariantCulture),
        ["batch_size"] = _s.BatchSize.ToString(CultureInfo.InvariantCulture),
        ["shuffle"] = _s.Shuffle ? "yes" : "no",
        ["augmentation"] = _s.Augmentation?.Spec ?? "none",
        ["callbacks"] = string.Join(",", _resumable.Select(c => c.GetType().Name)),
    };

    private void CheckSameRun(TrainingSnapshot snapshot)
    {
        var here = _run!;
        var differences = here.Keys.Union(snapshot.Run.Keys)
            .Where(k => here.GetValueOrDefault(k) != snapshot.Run.GetValueOrDefault(k))
            .Select(k => $"{k.Replace('_', ' ')} {snapshot.Run.GetValueOrDefault(k) ?? "(none)"} there, {here.GetValueOrDefault(k) ?? "(none)"} here")
            .ToList();
        if (differences.Count > 0)
            throw new InvalidOperationException(
                $"Checkpoint '{_s.ResumeFrom}' belongs to another training run and cannot continue this one: {string.Join("; ", differences)}. " +
                "Resume with the settings it was made with, or delete it to start afresh.");
    }

    private void Restore(TrainingSnapshot snapshot)
    {
        var p = snapshot.Progress;
        foreach (var (name, tensor) in _model.State)
        {
            if (!snapshot.Weights.TryGetValue(name, out var values) || values.Length != tensor.Length)
                throw new InvalidDataException($"Checkpoint '{_s.ResumeFrom}' lacks the {tensor.Length} values of '{name}'.");
            _model.Device.Upload(values, tensor.Buffer);
        }
        try { _optimizer.ImportState(snapshot.OptimizerState, p.OptimizerSteps); }
        catch (ArgumentException e) { throw new InvalidDataException($"Checkpoint '{_s.ResumeFrom}': {e.Message}", e); }
        if (snapshot.Callbacks.Count != _resumable.Count)
            throw new InvalidDataException($"Checkpoint '{_s.ResumeFrom}' holds the state of {snapshot.Callbacks.Count} callbacks, this run has {_resumable.Count}.");
        for (int i = 0; i < _resumable.Count; i++) _resumable[i].LoadState(snapshot.Callbacks[i]);
        if (p.Epoch < 1 || p.Epoch > _s.Epochs + 1 || p.Batch < 0 || p.Batch >= Batches || p.History.Count != p.Epoch - 1)
            throw new InvalidDataException($"Checkpoint '{_s.ResumeFrom}' stands at epoch {p.Epoch}, batch {p.Batch} with {p.History.Count} epochs of history, which is not a place in {_s.Epochs} epochs of {Batches} batches.");
        foreach (var e in p.History) _history.Add(e);
        _context.BaseLearningRate = p.BaseLearningRate;
        (_epoch, _batch, _lossSum, _correct, _seen, _secondsBefore) = (p.Epoch, p.Batch, p.LossSum, p.Correct, p.Seen, p.Seconds);
        _model.Logger.LogInformation("resuming from {Path} at epoch {Epoch}, batch {Batch} of {Batches}", _s.ResumeFrom, p.Epoch, p.Batch + 1, Batches);
    }
}
