using System.Text.Json;
using System.Text.Json.Serialization;
using CnnNative.Serialization;
using CnnNative.Training;

namespace CnnNative.Cli.Output;

/// <summary>What `cnn train --metrics-out` writes: the run's settings, one entry per epoch, the final test accuracy.</summary>
/// <remarks>Names are snake_case in the JSON (train_loss, images_per_second), as scripts in Python expect.</remarks>
internal sealed record TrainingMetrics(
    string Model, string Spec, string Device, string Optimizer, float LearningRate, string Schedule, int Batch, int Seed, int Threads,
    long Parameters, int TrainImages, int TestImages, IReadOnlyList<EpochMetrics> Epochs, double TestAccuracy)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static IReadOnlyList<EpochMetrics> FromHistory(History history)
        => history.Epochs.Select(e => new EpochMetrics(e.Epoch, e.TrainLoss, e.TrainAccuracy, e.ValidationAccuracy,
                                                       e.ImagesPerSecond, e.Seconds)).ToList();

    /// <summary>Writes the JSON atomically (temp file, then rename), so a reader never sees half of it.</summary>
    public void Save(string path) => AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, Json), createFolder: true);
}

/// <summary>One epoch in <see cref="TrainingMetrics"/>.</summary>
internal sealed record EpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? TestAccuracy,
    double ImagesPerSecond, double Seconds);
