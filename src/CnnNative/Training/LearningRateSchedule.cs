namespace CnnNative.Training;

/// <summary>
/// How the learning rate moves over a Fit call, step by step. Fit sets the optimizer's rate before every step
/// and restores the base rate when it returns.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The base rate throughout (the default).</summary>
    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

    /// <summary>
    /// Cosine annealing from the base rate to <paramref name="finalFactor"/>·base over the whole Fit
    /// (Loshchilov &amp; Hutter 2017 without restarts; PyTorch's CosineAnnealingLR, Keras' CosineDecay).
    /// Large steps early, small ones at the end: the final weights settle instead of bouncing, so the last
    /// epoch's accuracy is both higher and far less sensitive to rounding differences between devices.
    /// </summary>
    public static LearningRateSchedule Cosine(float finalFactor = 0f) => new CosineSchedule(finalFactor);

    /// <summary>Creates a schedule from its name ("constant" or "cosine").</summary>
    public static LearningRateSchedule FromName(string name) => name.ToLowerInvariant() switch
    {
        "constant" => Constant,
        "cosine" => Cosine(),
        _ => throw new ArgumentException($"Unknown learning-rate schedule '{name}'. Known: constant, cosine.", nameof(name)),
    };

    public abstract string Name { get; }

    /// <summary>The rate for 0-based <paramref name="step"/> of <paramref name="totalSteps"/>.</summary>
    public abstract float At(int step, int totalSteps, float baseRate);

    public override string ToString() => Name;

    private sealed class ConstantSchedule : LearningRateSchedule
    {
        public override string Name => "constant";
        public override float At(int step, int totalSteps, float baseRate) => baseRate;
    }

    private sealed class CosineSchedule : LearningRateSchedule
    {
        private readonly float _final;

        public CosineSchedule(float finalFactor)
        {
            if (!(finalFactor >= 0 && finalFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(finalFactor), $"The final factor must be in [0, 1], got {finalFactor}.");
            _final = finalFactor;
        }

        public override string Name => "cosine";

        public override float At(int step, int totalSteps, float baseRate)
        {
            // Step t of T uses the rate at the middle of its interval, so even the last step still learns a little.
            double progress = (step + 0.5) / Math.Max(totalSteps, 1);
            double factor = _final + (1 - _final) * 0.5 * (1 + Math.Cos(Math.PI * progress));
            return (float)(baseRate * factor);
        }
    }
}
