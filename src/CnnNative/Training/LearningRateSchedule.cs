using System.Globalization;

namespace CnnNative.Training;

/// <summary>
/// How the learning rate moves over a Fit call, step by step. Fit sets the optimizer's rate before every step
/// and restores the base rate when it returns.
/// </summary>
/// <remarks>
/// A schedule is a pure function of the step, the run's length and the base rate (no state), so a training run
/// resumed from a checkpoint continues with exactly the rates an uninterrupted one would use.
/// </remarks>
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

    /// <summary>
    /// The base rate times <paramref name="gamma"/> after every <paramref name="everyEpochs"/> epochs (PyTorch's StepLR).
    /// </summary>
    public static LearningRateSchedule Step(int everyEpochs, float gamma = 0.1f) => new StepSchedule(everyEpochs, gamma);

    /// <summary>
    /// The one-cycle policy (Smith &amp; Topin 2018; PyTorch's OneCycleLR with cosine annealing): the rate rises
    /// from base/<paramref name="divFactor"/> to the base rate over the first <paramref name="warmupFraction"/> of the
    /// steps, then falls to base/(divFactor·<paramref name="finalDivFactor"/>). The base rate is the peak, so it can
    /// be several times what a constant schedule tolerates.
    /// </summary>
    public static LearningRateSchedule OneCycle(float warmupFraction = 0.3f, float divFactor = 25f, float finalDivFactor = 1e4f)
        => new OneCycleSchedule(warmupFraction, divFactor, finalDivFactor);

    /// <summary>
    /// A linear warm-up from near 0 to the base rate over <paramref name="warmupEpochs"/> epochs (fractions allowed),
    /// then cosine annealing to <paramref name="finalFactor"/>·base (Goyal et al. 2017's warm-up, as in
    /// Hugging Face's cosine schedule with warm-up). The warm-up lets large batches start at a large rate.
    /// </summary>
    public static LearningRateSchedule WarmupCosine(float warmupEpochs = 1f, float finalFactor = 0f)
        => new WarmupCosineSchedule(warmupEpochs, finalFactor);

    /// <summary>The names <see cref="FromName"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["constant", "cosine", "step", "onecycle", "warmup-cosine"];

    /// <summary>
    /// A schedule from its name with its default settings: "constant", "cosine", "onecycle" or "warmup-cosine";
    /// "step" has no default interval (use <see cref="Step"/>).
    /// </summary>
    public static LearningRateSchedule FromName(string name) => name.ToLowerInvariant() switch
    {
        "constant" => Constant,
        "cosine" => Cosine(),
        "onecycle" => OneCycle(),
        "warmup-cosine" => WarmupCosine(),
        "step" => throw new ArgumentException("The step schedule needs its interval: use LearningRateSchedule.Step(everyEpochs, gamma).", nameof(name)),
        _ => throw new ArgumentException($"Unknown learning-rate schedule '{name}'. Known: {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>The schedule's name, as <see cref="FromName"/> takes it ("cosine").</summary>
    public abstract string Name { get; }

    /// <summary>The name with every setting, e.g. "step(every=3,gamma=0.1)"; two schedules with equal specs give equal rates.</summary>
    public virtual string Spec => Name;

    /// <summary>The rate for 0-based <paramref name="step"/> of <paramref name="totalSteps"/>.</summary>
    /// <param name="step">0-based step of the run.</param>
    /// <param name="totalSteps">Steps in the whole run (epochs × batches per epoch).</param>
    /// <param name="baseRate">The optimizer's rate before the schedule (the peak, for one-cycle).</param>
    /// <param name="stepsPerEpoch">Batches per epoch; the schedules that count epochs (step, warm-up) need it.</param>
    public abstract float At(int step, int totalSteps, float baseRate, int stepsPerEpoch = 0);

    /// <summary>The <see cref="Spec"/>.</summary>
    public override string ToString() => Spec;

    /// <summary>(1 + cos(π·progress)) / 2: 1 at the start, 0 at the end.</summary>
    private static double CosineFactor(double progress) => 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(progress, 0, 1)));

    private static int RequireStepsPerEpoch(int stepsPerEpoch, string schedule)
        => stepsPerEpoch > 0 ? stepsPerEpoch
           : throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), $"The {schedule} schedule counts epochs, so it needs stepsPerEpoch > 0, got {stepsPerEpoch}.");

    private static string Number(float value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class ConstantSchedule : LearningRateSchedule
    {
        public override string Name => "constant";
        public override float At(int step, int totalSteps, float baseRate, int stepsPerEpoch = 0) => baseRate;
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
        public override string Spec => _final == 0 ? Name : $"cosine(final={Number(_final)})";

        public override float At(int step, int totalSteps, float baseRate, int stepsPerEpoch = 0)
        {
            // Step t of T uses the rate at the middle of its interval, so even the last step still learns a little.
            double progress = (step + 0.5) / Math.Max(totalSteps, 1);
            return (float)(baseRate * (_final + (1 - _final) * CosineFactor(progress)));
        }
    }

    private sealed class StepSchedule : LearningRateSchedule
    {
        private readonly int _every;
        private readonly float _gamma;

        public StepSchedule(int everyEpochs, float gamma)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(everyEpochs);
            if (!(gamma > 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), $"The step schedule's gamma must be in (0, 1], got {gamma}.");
            (_every, _gamma) = (everyEpochs, gamma);
        }

        public override string Name => "step";
        public override string Spec => $"step(every={_every},gamma={Number(_gamma)})";

        public override float At(int step, int totalSteps, float baseRate, int stepsPerEpoch = 0)
        {
            int epoch = step / RequireStepsPerEpoch(stepsPerEpoch, Name);
            return (float)(baseRate * Math.Pow(_gamma, epoch / _every));
        }
    }

    private sealed class OneCycleSchedule : LearningRateSchedule
    {
        private readonly float _warmup, _div, _finalDiv;

        public OneCycleSchedule(float warmupFraction, float divFactor, float finalDivFactor)
        {
            if (!(warmupFraction > 0 && warmupFraction < 1)) throw new ArgumentOutOfRangeException(nameof(warmupFraction), $"The one-cycle warm-up fraction must be in (0, 1), got {warmupFraction}.");
            if (!(divFactor >= 1) || float.IsInfinity(divFactor)) throw new ArgumentOutOfRangeException(nameof(divFactor), $"The one-cycle divFactor must be at least 1, got {divFactor}.");
            if (!(finalDivFactor >= 1) || float.IsInfinity(finalDivFactor)) throw new ArgumentOutOfRangeException(nameof(finalDivFactor), $"The one-cycle finalDivFactor must be at least 1, got {finalDivFactor}.");
            (_warmup, _div, _finalDiv) = (warmupFraction, divFactor, finalDivFactor);
        }

        public override string Name => "onecycle";
        public override string Spec => $"onecycle(warmup={Number(_warmup)},div={Number(_div)},final_div={Number(_finalDiv)})";

        public override float At(int step, int totalSteps, float baseRate, int stepsPerEpoch = 0)
        {
            double start = baseRate / (double)_div, end = start / _finalDiv;
            // As PyTorch: the peak is reached at step warmup·T − 1 and the floor at the last step, T − 1.
            double peakStep = Math.Max(_warmup * totalSteps - 1, 1), lastStep = Math.Max(totalSteps - 1, peakStep + 1);
            return step <= peakStep
                ? (float)(baseRate + (start - baseRate) * CosineFactor(step / peakStep))
                : (float)(end + (baseRate - end) * CosineFactor((step - peakStep) / (lastStep - peakStep)));
        }
    }

    private sealed class WarmupCosineSchedule : LearningRateSchedule
    {
        private readonly float _warmupEpochs, _final;

        public WarmupCosineSchedule(float warmupEpochs, float finalFactor)
        {
            if (!(warmupEpochs > 0) || float.IsInfinity(warmupEpochs)) throw new ArgumentOutOfRangeException(nameof(warmupEpochs), $"The warm-up must last a positive number of epochs, got {warmupEpochs}.");
            if (!(finalFactor >= 0 && finalFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(finalFactor), $"The final factor must be in [0, 1], got {finalFactor}.");
            (_warmupEpochs, _final) = (warmupEpochs, finalFactor);
        }

        public override string Name => "warmup-cosine";
        public override string Spec => $"warmup-cosine(warmup_epochs={Number(_warmupEpochs)}{(_final == 0 ? "" : $",final={Number(_final)}")})";

        public override float At(int step, int totalSteps, float baseRate, int stepsPerEpoch = 0)
        {
            // A warm-up longer than the run is all warm-up.
            int warmup = Math.Clamp((int)Math.Round(_warmupEpochs * RequireStepsPerEpoch(stepsPerEpoch, Name)), 1, Math.Max(totalSteps, 1));
            if (step < warmup) return (float)(baseRate * (step + 1.0) / warmup);
            double progress = (step - warmup + 0.5) / Math.Max(totalSteps - warmup, 1);
            return (float)(baseRate * (_final + (1 - _final) * CosineFactor(progress)));
        }
    }
}
