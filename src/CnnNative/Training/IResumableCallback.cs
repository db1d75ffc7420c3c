namespace CnnNative.Training;

/// <summary>
/// A callback whose decisions depend on earlier epochs (EarlyStopping's best value and patience count, ...): its
/// state goes into every training checkpoint and comes back when Fit resumes from one, so the resumed run stops,
/// saves and lowers the rate exactly when an uninterrupted run would.
/// </summary>
public interface IResumableCallback : ICallback
{
    /// <summary>Writes everything the callback remembers into <paramref name="state"/>.</summary>
    void SaveState(CallbackState state);

    /// <summary>Takes back what <see cref="SaveState"/> wrote (called after <see cref="ICallback.OnTrainBegin"/>).</summary>
    void LoadState(CallbackState state);
}
