using CnnNative.Serialization;

namespace CnnNative.Training;

/// <summary>
/// The epochs of a Fit call so far in a file, rewritten (atomically) after every epoch from the history, so the
/// file is whole at any moment and, after a resume, holds the epochs from before the interruption too.
/// Columns: epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, learning_rate, seconds,
/// images_per_second (the names of `cnn train --metrics-out`).
/// </summary>
public abstract class EpochLog : ICallback
{
    private protected static readonly string[] Columns =
        ["epoch", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "learning_rate", "seconds", "images_per_second"];

    private protected EpochLog(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    void ICallback.OnEpochEnd(TrainingContext context, EpochResult result)
    {
        AtomicFile.Write(Path, Format(context.History.Epochs), createFolder: true);
    }

    /// <summary>The file's bytes for these epochs.</summary>
    private protected abstract byte[] Format(IReadOnlyList<EpochResult> epochs);

    /// <summary>An epoch's values in <see cref="Columns"/> order; null where there was no validation.</summary>
    private protected static double?[] Row(EpochResult e)
        => [e.Epoch, e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.ValidationAccuracy, (double)(decimal)e.LearningRate, e.Seconds, e.ImagesPerSecond];
}
