namespace CnnNative.Training;

/// <summary>
/// Where and how often Fit saves the whole training state, so that a crashed or cancelled run can continue with
/// <c>Fit(resumeFrom: path)</c> and end with exactly the weights an uninterrupted run would have (Keras'
/// BackupAndRestore; PyTorch's habit of saving model and optimizer state dicts together).
/// </summary>
/// <remarks>
/// Fit saves at the end of every epoch, mid-epoch when <see cref="Every"/> or <see cref="EveryBatches"/> says so,
/// and when its cancellation token fires (Ctrl+C in `cnn train`), before it throws. The file holds the weights,
/// the optimizer state (SGD velocity, Adam m, v and step), the schedule position and base rate, the epoch and
/// batch cursor, the history so far, the state of every <see cref="IResumableCallback"/>, and what identifies the
/// run (spec, data, settings). It is written atomically (a temporary file, then a rename), so a crash while
/// saving leaves the previous checkpoint whole. Time spent saving is not counted in an epoch's seconds.
/// </remarks>
public sealed class TrainingCheckpoint
{
    /// <param name="path">The checkpoint file; `cnn train --out FILE` uses FILE.ckpt (<see cref="PathFor"/>).</param>
    public TrainingCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
    }

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }

    /// <summary>Also save mid-epoch once this much time has passed since the last save (null: only at epoch ends).</summary>
    public TimeSpan? Every
    {
        get;
        init => field = value is null || value > TimeSpan.Zero ? value
            : throw new ArgumentOutOfRangeException(nameof(Every), $"The checkpoint interval must be positive, got {value}.");
    }

    /// <summary>Also save mid-epoch after every this many batches of an epoch (0: never by count).</summary>
    public int EveryBatches
    {
        get;
        init => field = value >= 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(EveryBatches), $"The checkpoint batch interval must be 0 or more, got {value}.");
    }

    /// <summary>Keep the file when training completes (by default Fit deletes it then).</summary>
    public bool KeepWhenDone { get; init; }

    /// <summary>The checkpoint beside a model file: "model.safetensors" → "model.safetensors.ckpt".</summary>
    public static string PathFor(string modelPath) => modelPath + ".ckpt";
}
