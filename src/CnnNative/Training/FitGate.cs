namespace CnnNative.Training;

/// <summary>
/// Keeps Fit exclusive: while a Fit runs, Predict and Evaluate from any other thread throw, and a second Fit throws;
/// from the Fit thread itself (its validation pass, callbacks) they run. Fit starts only once the inference calls
/// already running have finished, so none of them reads weights that training is changing.
/// </summary>
/// <remarks>
/// Throwing rather than waiting: a Fit runs for minutes or hours, a caller blocked behind it would look hung, and a
/// model in training has no stable weights to predict with. The caller learns at once and can decide (predict with a
/// copy loaded from a checkpoint, or wait for Fit to return).
/// </remarks>
internal sealed class FitGate
{
    private Thread? _fitThread;
    private int _inferenceCalls;

    /// <summary>Whether the current thread may run <paramref name="operation"/> now; pair with <see cref="ExitInference"/>.</summary>
    public void EnterInference(string operation)
    {
        Interlocked.Increment(ref _inferenceCalls);
        var fit = Volatile.Read(ref _fitThread);
        if (fit is null || fit == Thread.CurrentThread) return;
        Interlocked.Decrement(ref _inferenceCalls);
        throw new InvalidOperationException(
            $"{operation} was called while Fit is training this model on another thread. Fit is exclusive: call {operation} " +
            "after Fit returns, from a Fit callback, or on a copy of the model (Sequential.Load of a saved checkpoint).");
    }

    public void ExitInference() => Interlocked.Decrement(ref _inferenceCalls);

    /// <summary>Claims the model for the current thread's Fit, once running Predict and Evaluate calls have finished.</summary>
    public void EnterFit()
    {
        if (Interlocked.CompareExchange(ref _fitThread, Thread.CurrentThread, null) is { } other)
            throw new InvalidOperationException(other == Thread.CurrentThread
                ? "Fit was called from inside Fit (a callback); a model trains one Fit at a time."
                : "Fit was called while another Fit is training this model on another thread; a model trains one Fit at a time.");
        SpinWait.SpinUntil(() => Volatile.Read(ref _inferenceCalls) == 0);
    }

    public void ExitFit() => Volatile.Write(ref _fitThread, null);

    /// <summary>Throws when a Fit on another thread holds the model (the explicit training path must not share its memory).</summary>
    public void ThrowIfFitElsewhere(string operation)
    {
        var fit = Volatile.Read(ref _fitThread);
        if (fit is not null && fit != Thread.CurrentThread)
            throw new InvalidOperationException($"{operation} was called while Fit is training this model on another thread; Fit is exclusive.");
    }
}
