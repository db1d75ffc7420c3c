using System.Text.Json;
using System.Text.Json.Serialization;
using CnnNative.Serialization;
using CnnNative.Training;

namespace CnnNative.Cli.Output;

/// <summary>What `cnn train --metrics-out` writes: the run's settings, one entry per epoch, the final test accuracy.</summary>
/// <remarks>
/// Names are snake_case in the JSON (train_loss, images_per_second), as scripts in Python expect. Fields are only
/// ever added: per epoch, test_accuracy without a validation split, validation_loss and validation_accuracy with
/// one; accuracy_target and time_to_accuracy_seconds are null unless a target (or a recipe) was given, and the
/// time stays null when the target was not reached.
/// </remarks>
internal sealed record TrainingMetrics(
    string Model, string Spec, string Device, string Optimizer, float LearningRate, string Schedule, int Batch, int Seed, int Threads,
    long Parameters, int TrainImages, int TestImages, IReadOnlyList<EpochMetrics> Epochs, double TestAccuracy)
{
    /// <summary>The recipe the run started from, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Recipe { get; init; }

    /// <summary>The fraction of the training images held out for per-epoch validation (0: none; the test set validated).</summary>
    public double ValidationSplit { get; init; }

    /// <summary>The augmentation ("crop2,flip") or "none".</summary>
    public string Augment { get; init; } = "none";

    /// <summary>The held-out accuracy the run aimed at.</summary>
    public double? AccuracyTarget { get; init; }

    /// <summary>Training seconds (evaluation excluded) until the first epoch that reached <see cref="AccuracyTarget"/>.</summary>
    public double? TimeToAccuracySeconds { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <param name="history">The run's epochs.</param>
    /// <param name="validationSplit">Whether the per-epoch held-out data was a validation split (else the test set).</param>
    public static IReadOnlyList<EpochMetrics> FromHistory(History history, bool validationSplit = false)
        => history.Epochs.Select(e => new EpochMetrics(e.Epoch, e.TrainLoss, e.TrainAccuracy, validationSplit ? null : e.ValidationAccuracy,
                                                       e.ImagesPerSecond, e.Seconds)
        {
            ValidationLoss = validationSplit ? e.ValidationLoss : null,
            ValidationAccuracy = validationSplit ? e.ValidationAccuracy : null,
            LearningRate = e.LearningRate,
        }).ToList();

    /// <summary>Writes the JSON atomically (temp file, then rename), so a reader never sees half of it.</summary>
    public void Save(string path) => AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, Json), createFolder: true);
}

/// <summary>One epoch in <see cref="TrainingMetrics"/>.</summary>
internal sealed record EpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? TestAccuracy,
    double ImagesPerSecond, double Seconds)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ValidationLoss { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ValidationAccuracy { get; init; }

    /// <summary>The learning rate of the epoch's last step.</summary>
    public float LearningRate { get; init; }
}
