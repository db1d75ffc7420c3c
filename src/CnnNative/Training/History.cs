namespace CnnNative.Training;

/// <summary>What one epoch of Fit measured.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean loss per sample over the epoch's batches (weights changing as it went).</param>
/// <param name="TrainAccuracy">Share of training samples classified right during the epoch.</param>
/// <param name="ValidationLoss">Loss on the validation set after the epoch, when one was given.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set after the epoch, when one was given.</param>
/// <param name="Seconds">Wall time of the training part of the epoch (validation excluded).</param>
/// <param name="ImagesPerSecond">Training samples per second.</param>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss,
                                 double? ValidationAccuracy, double Seconds, double ImagesPerSecond);

/// <summary>Per-epoch results of a Fit call, in order.</summary>
public sealed class History
{
    private readonly List<EpochResult> _epochs = [];

    public IReadOnlyList<EpochResult> Epochs => _epochs;

    public EpochResult Last => _epochs.Count > 0 ? _epochs[^1] : throw new InvalidOperationException("No epoch has finished.");

    internal void Add(EpochResult result) => _epochs.Add(result);
}

/// <summary>Loss, accuracy and, when asked for, the confusion matrix of a model on a data set.</summary>
public sealed record Evaluation(int Count, double Loss, double Accuracy, int[,]? Confusion)
{
    /// <summary>Accuracy of each true class (row of the confusion matrix); needs the matrix.</summary>
    public double[] PerClassAccuracy()
    {
        var m = Confusion ?? throw new InvalidOperationException("Evaluate was called without confusion: true.");
        var acc = new double[m.GetLength(0)];
        for (int t = 0; t < acc.Length; t++)
        {
            long row = 0;
            for (int p = 0; p < m.GetLength(1); p++) row += m[t, p];
            acc[t] = row == 0 ? double.NaN : (double)m[t, t] / row;
        }
        return acc;
    }
}

/// <summary>Hooks Fit calls as it goes (progress bars, early stopping, logging). Override what you need.</summary>
public abstract class TrainingCallback
{
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
}
