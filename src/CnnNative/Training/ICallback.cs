namespace CnnNative.Training;

/// <summary>
/// Hooks a Fit call at its milestones, as Keras' callbacks do: to stop early, lower the learning rate, save the
/// model or log. Every method has an empty default; implement the ones you need. Fit calls the callbacks in the
/// order given.
/// </summary>
/// <remarks>
/// A callback whose decisions depend on what it saw in earlier epochs (a best value, a patience count) implements
/// <see cref="IResumableCallback"/> too, so that a run resumed from a checkpoint decides as an uninterrupted one would.
/// </remarks>
public interface ICallback
{
    /// <summary>Before the first epoch (after a checkpoint's state has been restored, when resuming).</summary>
    void OnTrainBegin(TrainingContext context) { }

    /// <summary>Before epoch <paramref name="epoch"/> (1-based) runs its first batch, or its first remaining one when resuming.</summary>
    void OnEpochBegin(TrainingContext context, int epoch) { }

    /// <summary>After each training batch's step. Called on the training thread: keep it quick.</summary>
    void OnBatchEnd(TrainingContext context, in BatchResult batch) { }

    /// <summary>After the epoch and its validation; set <see cref="TrainingContext.StopTraining"/> to end training.</summary>
    void OnEpochEnd(TrainingContext context, EpochResult result) { }

    /// <summary>After the last epoch, or the one after which training was stopped.</summary>
    void OnTrainEnd(TrainingContext context) { }
}

/// <summary>What the training loop reports after each batch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Batch">1-based batch within the epoch.</param>
/// <param name="Batches">Batches in the epoch.</param>
/// <param name="MeanLoss">Mean loss per sample so far in this epoch.</param>
/// <param name="Accuracy">Training accuracy so far in this epoch.</param>
/// <param name="ImagesPerSecond">Training throughput so far in this epoch.</param>
public readonly record struct BatchResult(int Epoch, int Batch, int Batches, double MeanLoss, double Accuracy, double ImagesPerSecond);
