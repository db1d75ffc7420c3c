using CnnNative.Training;

namespace CnnNative.Cli.Output;

/// <summary>
/// Reports Fit as it goes. Two forms: a live bar per epoch in a terminal (<see cref="LiveProgress"/>) and one
/// plain line per epoch elsewhere (<see cref="PlainProgress"/>), so CI logs stay readable.
/// </summary>
internal abstract class TrainingProgress : TrainingCallback
{
    /// <param name="ctx">Where to write, and whether it is a terminal.</param>
    /// <param name="heldOut">What the per-epoch held-out accuracy is measured on: "test" or "validation".</param>
    public static TrainingProgress For(CliContext ctx, string heldOut = "test")
        => ctx.Interactive ? new LiveProgress(ctx.Console, heldOut) : new PlainProgress(ctx.Out, heldOut);

    /// <summary>Prints a line between the epochs' lines (above a live bar).</summary>
    public abstract void WriteLine(string line);

    /// <summary>Runs <paramref name="training"/> (the Fit call) inside whatever display this form needs.</summary>
    public abstract T Run<T>(Func<T> training);
}
