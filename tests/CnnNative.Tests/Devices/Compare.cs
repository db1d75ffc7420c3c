namespace CnnNative.Tests.Devices;

/// <summary>
/// The one comparison every device suite uses: |actual − expected| ≤ atol + rtol·|expected| element by element, NaN
/// exactly where expected is NaN, and on failure the worst element named with its index, both values and the context
/// (op and shape). Ops that sum many terms scale their tolerance with √(reduction length) (<see cref="Reduction"/>).
/// </summary>
public static class Compare
{
    /// <summary>Asserts every element is within atol + rtol·|expected|, reporting the worst one.</summary>
    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, float rtol, float atol, string context)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{context}: length");
        int worst = -1, failures = 0;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double excess = double.IsNaN(e) || double.IsNaN(a)
                ? (double.IsNaN(e) == double.IsNaN(a) ? 0 : double.PositiveInfinity)
                : Math.Abs(a - e) - (atol + rtol * Math.Abs(e));
            if (!(excess > 0)) continue;
            failures++;
            if (excess > worstExcess || worst < 0) { worstExcess = excess; worst = i; }
        }
        if (worst >= 0)
            Assert.Fail($"{context}: element {worst} is {actual[worst]:R}, expected {expected[worst]:R} (rtol {rtol}, atol {atol}); " +
                        $"{failures} of {expected.Length} elements out of tolerance.");
    }

    /// <summary>The same check with one tolerance as both atol and rtol: |a − e| ≤ tolerance · (1 + |e|).</summary>
    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance, string context)
        => Close(actual, expected, (float)tolerance, (float)tolerance, context);

    /// <summary>A per-term tolerance grown for a sum of <paramref name="length"/> terms (rounding errors add like a random walk).</summary>
    public static float Reduction(float perTerm, long length) => perTerm * MathF.Sqrt(Math.Max(1, length));

    /// <summary>Every buffer bit for bit equal.</summary>
    public static void BitwiseEqual(float[][] actual, float[][] expected, string context)
    {
        for (int b = 0; b < expected.Length; b++)
            for (int i = 0; i < expected[b].Length; i++)
                if (BitConverter.SingleToInt32Bits(actual[b][i]) != BitConverter.SingleToInt32Bits(expected[b][i]))
                    Assert.Fail($"{context}: buffer {b} element {i} is {actual[b][i]:R} vs {expected[b][i]:R}");
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
