namespace CnnNative.Training;

/// <summary>What Fit and Evaluate report beside the loss.</summary>
public enum Metric
{
    /// <summary>Share of samples whose highest output is the target class.</summary>
    Accuracy,
}
