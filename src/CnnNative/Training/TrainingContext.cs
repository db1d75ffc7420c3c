namespace CnnNative.Training;

/// <summary>What a Fit call shows its callbacks, and the two things they may change: the base learning rate and whether to stop.</summary>
public sealed class TrainingContext
{
    private float _baseLearningRate;

    internal TrainingContext(Sequential model, Optimizer optimizer, History history, int epochs, int batchesPerEpoch,
                             bool hasValidation, float baseLearningRate)
    {
        Model = model;
        Optimizer = optimizer;
        History = history;
        Epochs = epochs;
        BatchesPerEpoch = batchesPerEpoch;
        HasValidation = hasValidation;
        _baseLearningRate = baseLearningRate;
    }

    /// <summary>The model being trained.</summary>
    public Sequential Model { get; }

    /// <summary>The model's optimizer; its LearningRate is the scheduled rate of the current step.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The epochs finished so far (including those before a resume).</summary>
    public History History { get; }

    /// <summary>The epochs Fit was asked for.</summary>
    public int Epochs { get; }

    /// <summary>Batches in every epoch.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>Whether each epoch ends with a validation pass (so "val_loss" and "val_accuracy" exist).</summary>
    public bool HasValidation { get; }

    /// <summary>
    /// When Fit resumed from a checkpoint: the 1-based epoch and batch it continues with (an epoch past
    /// <see cref="Epochs"/>, or <see cref="StopTraining"/> already set, when the checkpoint's training had finished).
    /// </summary>
    public (int Epoch, int Batch)? ResumedAt { get; internal set; }

    /// <summary>The 1-based epoch running now (0 before the first).</summary>
    public int Epoch { get; internal set; }

    /// <summary>
    /// The rate the schedule scales, the optimizer's rate when Fit began unless a callback lowered it
    /// (ReduceLROnPlateau); the optimizer keeps it when Fit returns.
    /// </summary>
    public float BaseLearningRate
    {
        get => _baseLearningRate;
        set
        {
            if (!(value > 0) || float.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), $"The learning rate must be a positive number, got {value}.");
            _baseLearningRate = value;
        }
    }

    /// <summary>Set by a callback to end training after the current epoch.</summary>
    public bool StopTraining { get; set; }
}
