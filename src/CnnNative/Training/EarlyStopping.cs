using System.Globalization;

namespace CnnNative.Training;

/// <summary>
/// Stops training once the monitored quantity has not improved for <see cref="Patience"/> epochs (Keras'
/// EarlyStopping), and with <see cref="RestoreBestWeights"/> puts back the weights of the best epoch at the end.
/// </summary>
/// <remarks>
/// As in Keras: an epoch improves when it beats the best so far by more than minDelta; every other epoch adds one
/// to a wait count that an improvement resets; training stops at the end of the epoch where the count reaches the
/// patience (patience 0 stops at the first epoch that does not improve). The best weights are kept on the host.
/// </remarks>
public sealed class EarlyStopping : IResumableCallback
{
    private readonly MetricMonitor _monitor;
    private float[][]? _bestWeights;
    private int _wait;

    /// <param name="monitor">"val_loss" (default), "val_accuracy", "loss" or "accuracy".</param>
    /// <param name="patience">Epochs without improvement to tolerate.</param>
    /// <param name="minDelta">Smallest change that counts as an improvement.</param>
    /// <param name="restoreBestWeights">At the end, load the weights of the best epoch.</param>
    /// <param name="mode">Whether the quantity should fall or rise (Auto: rise for accuracies).</param>
    public EarlyStopping(string monitor = "val_loss", int patience = 0, double minDelta = 0, bool restoreBestWeights = false,
                         MonitorMode mode = MonitorMode.Auto)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        _monitor = new MetricMonitor(monitor, mode, minDelta);
        Patience = patience;
        RestoreBestWeights = restoreBestWeights;
        Best = _monitor.Worst;
    }

    /// <summary>The quantity watched ("val_loss", "val_accuracy", "loss" or "accuracy").</summary>
    public string Monitor => _monitor.Name;
    /// <summary>Epochs without improvement tolerated before training stops.</summary>
    public int Patience { get; }
    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta => _monitor.MinDelta;
    /// <summary>Whether the weights of the best epoch are put back when training ends.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The best value seen so far.</summary>
    public double Best { get; private set; }

    /// <summary>The epoch that reached <see cref="Best"/> (0 before any).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The epoch after which training was stopped, or 0 when it ran to the end.</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>The epoch whose weights were put back at the end, or 0 when none were.</summary>
    public int RestoredEpoch { get; private set; }

    void ICallback.OnTrainBegin(TrainingContext context)
    {
        _monitor.CheckAvailable(context, nameof(EarlyStopping));
        (Best, BestEpoch, StoppedEpoch, RestoredEpoch, _wait, _bestWeights) = (_monitor.Worst, 0, 0, 0, 0, null);
    }

    void ICallback.OnEpochEnd(TrainingContext context, EpochResult result)
    {
        double value = _monitor.Read(result);
        _wait++;
        if (_monitor.IsImprovement(value, Best))
        {
            (Best, BestEpoch, _wait) = (value, result.Epoch, 0);
            if (RestoreBestWeights) CopyWeights(context.Model);
            return;
        }
        if (_wait >= Patience)
        {
            StoppedEpoch = result.Epoch;
            context.StopTraining = true;
        }
    }

    void ICallback.OnTrainEnd(TrainingContext context)
    {
        if (!RestoreBestWeights || _bestWeights is null || context.History.Epochs.Count == 0 || context.History.Last.Epoch == BestEpoch) return;
        var tensors = context.Model.State.ToList();
        for (int i = 0; i < tensors.Count; i++) context.Model.Device.Upload(_bestWeights[i], tensors[i].Value.Buffer);
        RestoredEpoch = BestEpoch;
    }

    // The weights and the buffers (BatchNorm's running statistics belong to the weights they were estimated with).
    private void CopyWeights(Sequential model)
    {
        var tensors = model.State.ToList();
        _bestWeights ??= tensors.Select(t => new float[t.Value.Length]).ToArray();
        for (int i = 0; i < tensors.Count; i++) model.Device.Download(tensors[i].Value.Buffer, _bestWeights[i]);
    }

    void IResumableCallback.SaveState(CallbackState state)
    {
        state.Values["best"] = Best;
        state.Values["best_epoch"] = BestEpoch;
        state.Values["wait"] = _wait;
        state.Values["stopped_epoch"] = StoppedEpoch;
        if (_bestWeights is null) return;
        for (int i = 0; i < _bestWeights.Length; i++) state.Arrays[i.ToString(CultureInfo.InvariantCulture)] = _bestWeights[i];
    }

    void IResumableCallback.LoadState(CallbackState state)
    {
        Best = state.Value("best");
        BestEpoch = (int)state.Value("best_epoch");
        _wait = (int)state.Value("wait");
        StoppedEpoch = (int)state.Value("stopped_epoch");
        _bestWeights = state.Arrays.Count == 0 ? null
            : Enumerable.Range(0, state.Arrays.Count).Select(i => state.Arrays.TryGetValue(i.ToString(CultureInfo.InvariantCulture), out var a) ? a
                : throw new InvalidDataException($"The checkpoint's EarlyStopping state lacks best-weights array {i}.")).ToArray();
    }
}
