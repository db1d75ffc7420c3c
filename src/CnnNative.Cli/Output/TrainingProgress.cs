using CnnNative.Training;

namespace CnnNative.Cli.Output;

/// <summary>
/// Reports Fit as it goes. Two forms: a live bar per epoch in a terminal (<see cref="LiveProgress"/>) and one
/// plain line per epoch elsewhere (<see cref="PlainProgress"/>), so CI logs stay readable.
/// </summary>
internal abstract class TrainingProgress : TrainingCallback
{
    public static TrainingProgress For(CliContext ctx) => ctx.Interactive ? new LiveProgress(ctx.Console) : new PlainProgress(ctx.Out);

    /// <summary>Runs <paramref name="training"/> (the Fit call) inside whatever display this form needs.</summary>
    public abstract T Run<T>(Func<T> training);
}
