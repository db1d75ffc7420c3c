namespace CnnNative.Training;

/// <summary>
/// Everything a training checkpoint holds: what identifies the run, where it stands, and the arrays (weights,
/// optimizer state, callbacks' arrays). Fit makes one to save and applies one to resume.
/// </summary>
internal sealed class TrainingSnapshot
{
    /// <summary>What a resumed run must match: spec, data fingerprint, settings (key → text).</summary>
    public required Dictionary<string, string> Run { get; init; }

    public required TrainingPosition Progress { get; init; }

    /// <summary>Parameter and buffer values by name ("conv2d_1.weight", "bn_1.running_var").</summary>
    public required Dictionary<string, float[]> Weights { get; init; }

    /// <summary>The optimizer's <see cref="Optimizer.ExportState"/>.</summary>
    public required Dictionary<string, float[]> OptimizerState { get; init; }

    /// <summary>One state per <see cref="IResumableCallback"/>, in the order Fit was given them.</summary>
    public required List<CallbackState> Callbacks { get; init; }
}

/// <summary>Where a training run stands: the cursor, the running epoch's sums so far and the finished epochs.</summary>
/// <param name="Epoch">The 1-based epoch to continue (Epochs + 1 when training is complete).</param>
/// <param name="Batch">The 0-based batch of that epoch to run next.</param>
/// <param name="OptimizerSteps">Steps taken so far (Adam's bias correction, dropout's random step).</param>
/// <param name="BaseLearningRate">The rate the schedule scales (lowered by ReduceLROnPlateau).</param>
/// <param name="LossSum">The running epoch's summed loss so far.</param>
/// <param name="Correct">The running epoch's correctly classified samples so far.</param>
/// <param name="Seen">The running epoch's samples so far.</param>
/// <param name="Seconds">The running epoch's training seconds so far.</param>
/// <param name="Stopped">A callback stopped training (EarlyStopping): there is nothing left to run.</param>
/// <param name="History">The finished epochs.</param>
internal sealed record TrainingPosition(int Epoch, int Batch, int OptimizerSteps, float BaseLearningRate, double LossSum,
                                        long Correct, long Seen, double Seconds, bool Stopped, List<EpochResult> History);
