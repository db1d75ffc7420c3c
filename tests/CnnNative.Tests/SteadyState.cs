namespace CnnNative.Tests;

/// <summary>
/// Asserts that warm steps allocate no managed memory. The count is the whole process's
/// (GC.GetTotalAllocatedBytes(precise: true)), so the test host's own threads add noise now and then; the steps are
/// deterministic, so an allocation of theirs would show in every window of steps, and one clean window out of ten
/// proves they allocate nothing.
/// </summary>
public static class SteadyState
{
    public static void AssertStepsAllocateNothing(Action step, int stepsPerWindow = 3)
    {
        step();
        step();
        var windows = new List<long>();
        for (int window = 0; window < 10 && !windows.Contains(0); window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < stepsPerWindow; i++) step();
            windows.Add(GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        Assert.That(windows, Has.Member(0L), $"bytes allocated per window of {stepsPerWindow} steps: {string.Join(", ", windows)}");
    }
}
