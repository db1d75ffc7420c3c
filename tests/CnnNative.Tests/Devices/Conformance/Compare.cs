namespace CnnNative.Tests.Devices.Conformance;

/// <summary>Element-wise comparison with a tolerance that scales with the magnitude of the expected value.</summary>
public static class Compare
{
    /// <summary>
    /// Asserts |actual − expected| ≤ atol + rtol·|expected| for every element, reporting the worst element
    /// with its index, both values and the context (op and shape).
    /// </summary>
    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, float rtol, float atol, string context)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{context}: length");
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) != double.IsNaN(a)) { worst = i; worstExcess = double.PositiveInfinity; break; }
            if (double.IsNaN(e)) continue;
            double excess = Math.Abs(a - e) - (atol + rtol * Math.Abs(e));
            if (excess > worstExcess) { worstExcess = excess; worst = i; }
        }
        if (worst >= 0)
            Assert.Fail($"{context}: element {worst} is {actual[worst]:R}, expected {expected[worst]:R} (rtol {rtol}, atol {atol}); " +
                        $"{Count(actual, expected, rtol, atol)} of {expected.Length} elements out of tolerance.");
    }

    private static int Count(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, float rtol, float atol)
    {
        int n = 0;
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= atol + rtol * Math.Abs(expected[i]))) n++;
        return n;
    }

    /// <summary>Seeded uniform values in [lo, hi).</summary>
    public static float[] Random(int length, int seed, float lo = -1, float hi = 1)
    {
        var rng = new Random(seed);
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = lo + (hi - lo) * rng.NextSingle();
        return a;
    }

    /// <summary>Seeded one-hot rows (rows × cols).</summary>
    public static float[] OneHot(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        var a = new float[rows * cols];
        for (int r = 0; r < rows; r++) a[r * cols + rng.Next(cols)] = 1;
        return a;
    }
}
