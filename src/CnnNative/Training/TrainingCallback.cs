namespace CnnNative.Training;

/// <summary>
/// Hooks Fit calls as it goes (progress bars, logging): the older, single-callback form of <see cref="ICallback"/>,
/// still taken by Fit's <c>callback</c> parameter. Override what you need.
/// </summary>
public abstract class TrainingCallback : ICallback
{
    /// <summary>Before the epoch's first batch.</summary>
    /// <param name="epoch">1-based epoch.</param>
    /// <param name="epochs">Epochs in the Fit call.</param>
    /// <param name="batches">Batches in the epoch.</param>
    public virtual void OnEpochStart(int epoch, int epochs, int batches) { }

    /// <param name="epoch">1-based epoch.</param>
    /// <param name="batch">1-based batch within the epoch.</param>
    /// <param name="batches">Batches in the epoch.</param>
    /// <param name="meanLoss">Mean loss per sample so far in this epoch.</param>
    /// <param name="accuracy">Training accuracy so far in this epoch.</param>
    /// <param name="imagesPerSecond">Training throughput so far in this epoch.</param>
    public virtual void OnBatchEnd(int epoch, int batch, int batches, double meanLoss, double accuracy, double imagesPerSecond) { }

    /// <summary>After the epoch and its validation; return false to stop training.</summary>
    public virtual bool OnEpochEnd(EpochResult result) => true;

    void ICallback.OnEpochBegin(TrainingContext context, int epoch) => OnEpochStart(epoch, context.Epochs, context.BatchesPerEpoch);

    void ICallback.OnBatchEnd(TrainingContext context, in BatchResult batch)
        => OnBatchEnd(batch.Epoch, batch.Batch, batch.Batches, batch.MeanLoss, batch.Accuracy, batch.ImagesPerSecond);

    void ICallback.OnEpochEnd(TrainingContext context, EpochResult result)
    {
        if (!OnEpochEnd(result)) context.StopTraining = true;
    }
}
