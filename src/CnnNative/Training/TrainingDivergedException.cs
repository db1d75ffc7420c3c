namespace CnnNative.Training;

/// <summary>The loss became NaN or infinite; training stopped at the named epoch and batch, weights as they were.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message)
{
}
