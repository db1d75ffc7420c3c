namespace CnnNative.Layers;

/// <summary>
/// A layer that draws random numbers while training (Dropout). Its draws depend only on its seed and
/// <see cref="RandomStep"/>; Fit sets the step from the optimizer's step count before every batch, so the draws are
/// a function of where training is, and a run resumed from a checkpoint draws exactly what an uninterrupted one would.
/// </summary>
public interface IRandomLayer
{
    /// <summary>Training forwards counted so far: the next training Forward draws for step RandomStep + 1, then counts itself.</summary>
    long RandomStep { get; set; }
}
