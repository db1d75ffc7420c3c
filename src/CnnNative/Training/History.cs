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
                                 double? ValidationAccuracy, double Seconds, double ImagesPerSecond)
{
    /// <summary>The learning rate of the epoch's last step (after the schedule and any ReduceLROnPlateau).</summary>
    public float LearningRate { get; init; }
}

/// <summary>Per-epoch results of a Fit call, in order.</summary>
public sealed class History
{
    private readonly List<EpochResult> _epochs = [];

    /// <summary>Every finished epoch, first to last.</summary>
    public IReadOnlyList<EpochResult> Epochs => _epochs;

    /// <summary>The last finished epoch; throws when none has finished.</summary>
    public EpochResult Last => _epochs.Count > 0 ? _epochs[^1] : throw new InvalidOperationException("No epoch has finished.");

    internal void Add(EpochResult result) => _epochs.Add(result);

    /// <summary>
    /// Time to accuracy: the first epoch whose validation accuracy reached <paramref name="accuracy"/>, and the
    /// training seconds of the epochs up to and including it (validation time not counted, as in MLPerf's
    /// time-to-train); null when no epoch reached it.
    /// </summary>
    public (int Epoch, double Seconds)? TimeTo(double accuracy)
    {
        double seconds = 0;
        foreach (var e in _epochs)
        {
            seconds += e.Seconds;
            if (e.ValidationAccuracy >= accuracy) return (e.Epoch, seconds);
        }
        return null;
    }
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
