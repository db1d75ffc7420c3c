namespace CnnNative.Training;

/// <summary>Whether a monitored quantity improves by falling or by rising (Keras' mode).</summary>
public enum MonitorMode
{
    /// <summary>Rising for names with "accuracy" in them, falling otherwise (losses).</summary>
    Auto,

    /// <summary>Lower is better.</summary>
    Min,

    /// <summary>Higher is better.</summary>
    Max,
}
