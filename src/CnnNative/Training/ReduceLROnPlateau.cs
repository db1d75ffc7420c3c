namespace CnnNative.Training;

/// <summary>
/// Multiplies the base learning rate by <see cref="Factor"/> once the monitored quantity has not improved for
/// <see cref="Patience"/> epochs (Keras' ReduceLROnPlateau), then waits <see cref="Cooldown"/> epochs before it
/// counts again. With a schedule, the schedule's rates are scaled by the lowered base.
/// </summary>
public sealed class ReduceLROnPlateau : IResumableCallback
{
    private readonly MetricMonitor _monitor;
    private int _wait, _cooldownLeft;

    /// <param name="monitor">"val_loss" (default), "val_accuracy", "loss" or "accuracy".</param>
    /// <param name="factor">What the rate is multiplied by, in (0, 1).</param>
    /// <param name="patience">Epochs without improvement before the rate drops.</param>
    /// <param name="minDelta">Smallest change that counts as an improvement (Keras' default 1e-4).</param>
    /// <param name="cooldown">Epochs after a drop during which no new drop is counted.</param>
    /// <param name="minLearningRate">The rate never drops below this.</param>
    /// <param name="mode">Whether the quantity should fall or rise (Auto: rise for accuracies).</param>
    public ReduceLROnPlateau(string monitor = "val_loss", float factor = 0.1f, int patience = 10, double minDelta = 1e-4,
                             int cooldown = 0, float minLearningRate = 0f, MonitorMode mode = MonitorMode.Auto)
    {
        if (!(factor > 0 && factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), $"ReduceLROnPlateau's factor must be in (0, 1), got {factor}.");
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        if (!(minLearningRate >= 0) || float.IsInfinity(minLearningRate))
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), $"The minimum learning rate must be a non-negative number, got {minLearningRate}.");
        _monitor = new MetricMonitor(monitor, mode, minDelta);
        (Factor, Patience, Cooldown, MinLearningRate) = (factor, patience, cooldown, minLearningRate);
        Best = _monitor.Worst;
    }

    /// <summary>The quantity watched ("val_loss", "val_accuracy", "loss" or "accuracy").</summary>
    public string Monitor => _monitor.Name;
    /// <summary>What the base rate is multiplied by at each drop.</summary>
    public float Factor { get; }
    /// <summary>Epochs without improvement before the rate drops.</summary>
    public int Patience { get; }
    /// <summary>Epochs after a drop during which no new drop is counted.</summary>
    public int Cooldown { get; }
    /// <summary>The rate never drops below this.</summary>
    public float MinLearningRate { get; }

    /// <summary>The best value seen so far.</summary>
    public double Best { get; private set; }

    /// <summary>How many times the rate was lowered.</summary>
    public int Reductions { get; private set; }

    void ICallback.OnTrainBegin(TrainingContext context)
    {
        _monitor.CheckAvailable(context, nameof(ReduceLROnPlateau));
        (Best, _wait, _cooldownLeft, Reductions) = (_monitor.Worst, 0, 0, 0);
    }

    void ICallback.OnEpochEnd(TrainingContext context, EpochResult result)
    {
        double value = _monitor.Read(result);
        bool cooling = _cooldownLeft > 0;
        if (cooling)
        {
            _cooldownLeft--;
            _wait = 0;
        }
        if (_monitor.IsImprovement(value, Best))
        {
            Best = value;
            _wait = 0;
        }
        else if (!cooling && ++_wait >= Patience && context.BaseLearningRate > MinLearningRate)
        {
            context.BaseLearningRate = Math.Max(context.BaseLearningRate * Factor, MinLearningRate);
            Reductions++;
            _cooldownLeft = Cooldown;
            _wait = 0;
        }
    }

    void IResumableCallback.SaveState(CallbackState state)
    {
        state.Values["best"] = Best;
        state.Values["wait"] = _wait;
        state.Values["cooldown_left"] = _cooldownLeft;
        state.Values["reductions"] = Reductions;
    }

    void IResumableCallback.LoadState(CallbackState state)
    {
        Best = state.Value("best");
        _wait = (int)state.Value("wait");
        _cooldownLeft = (int)state.Value("cooldown_left");
        Reductions = (int)state.Value("reductions");
    }
}
