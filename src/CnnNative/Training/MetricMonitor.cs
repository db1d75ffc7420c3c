namespace CnnNative.Training;

/// <summary>
/// One quantity of an epoch's result, by its Keras name ("loss", "accuracy", "val_loss", "val_accuracy"), and what
/// counts as an improvement of it: the shared core of EarlyStopping, ReduceLROnPlateau and ModelCheckpoint.
/// </summary>
internal sealed class MetricMonitor
{
    /// <summary>The names a callback may monitor.</summary>
    public static readonly string[] Names = ["loss", "accuracy", "val_loss", "val_accuracy"];

    public MetricMonitor(string name, MonitorMode mode, double minDelta)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Names.Contains(name))
            throw new ArgumentException($"Cannot monitor '{name}'; known: {string.Join(", ", Names)}.", nameof(name));
        if (!(minDelta >= 0) || double.IsInfinity(minDelta))
            throw new ArgumentOutOfRangeException(nameof(minDelta), $"minDelta must be a non-negative number, got {minDelta}.");
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), $"Unknown monitor mode {mode}.");
        Name = name;
        Maximise = mode == MonitorMode.Max || (mode == MonitorMode.Auto && name.Contains("accuracy", StringComparison.Ordinal));
        MinDelta = minDelta;
    }

    public string Name { get; }
    public bool Maximise { get; }
    public double MinDelta { get; }

    /// <summary>The starting "best": nothing is worse.</summary>
    public double Worst => Maximise ? double.NegativeInfinity : double.PositiveInfinity;

    /// <summary>Throws when the quantity will not exist in this Fit call (val_* without validation data).</summary>
    public void CheckAvailable(TrainingContext context, string callback)
    {
        if (Name.StartsWith("val_", StringComparison.Ordinal) && !context.HasValidation)
            throw new InvalidOperationException(
                $"{callback} monitors '{Name}', but this Fit call has no validation data; pass validation or validationSplit, or monitor '{Name[4..]}'.");
    }

    public double Read(EpochResult result) => Name switch
    {
        "loss" => result.TrainLoss,
        "accuracy" => result.TrainAccuracy,
        "val_loss" => result.ValidationLoss ?? double.NaN,
        _ => result.ValidationAccuracy ?? double.NaN,
    };

    /// <summary>Whether <paramref name="value"/> beats <paramref name="best"/> by more than MinDelta (NaN never does).</summary>
    public bool IsImprovement(double value, double best)
        => Maximise ? value > best + MinDelta : value < best - MinDelta;
}
