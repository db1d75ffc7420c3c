using CnnNative.Devices;

namespace CnnNative.Tests.Devices.Cpu;

/// <summary>Helpers shared by the cpu device's tests: seeded data, running an op on host arrays, tolerant comparison.</summary>
internal static class CpuTestSupport
{
    public static float[] Random(int length, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var data = new float[length];
        for (int i = 0; i < length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return data;
    }

    /// <summary>
    /// Uploads <paramref name="inputs"/> to fresh buffers of <paramref name="device"/>, runs <paramref name="op"/>
    /// and downloads every buffer again (outputs and in-place updates alike).
    /// </summary>
    public static float[][] Run(IDevice device, float[][] inputs, Action<IDevice, DeviceBuffer[]> op)
    {
        var buffers = inputs.Select(data => device.Allocate(data.Length)).ToArray();
        try
        {
            for (int i = 0; i < inputs.Length; i++) device.Upload(inputs[i], buffers[i]);
            op(device, buffers);
            device.Synchronize();
            return buffers.Select(b => { var host = new float[b.Length]; device.Download(b, host); return host; }).ToArray();
        }
        finally
        {
            foreach (var b in buffers) b.Dispose();
        }
    }

    /// <summary>|actual − expected| ≤ tolerance · (1 + |expected|) elementwise, NaN only where expected is NaN.</summary>
    public static void AssertClose(float[] actual, float[] expected, double tolerance, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]))
            {
                Assert.That(actual[i], Is.NaN, $"{what}: element {i}");
                continue;
            }
            double bound = tolerance * (1 + Math.Abs(expected[i]));
            if (!(Math.Abs(actual[i] - expected[i]) <= bound))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} (tolerance {bound:G3})");
        }
    }

    /// <summary>Every buffer bit for bit equal.</summary>
    public static void AssertBitwiseEqual(float[][] actual, float[][] expected, string what)
    {
        for (int b = 0; b < expected.Length; b++)
            for (int i = 0; i < expected[b].Length; i++)
                if (BitConverter.SingleToInt32Bits(actual[b][i]) != BitConverter.SingleToInt32Bits(expected[b][i]))
                    Assert.Fail($"{what}: buffer {b} element {i} is {actual[b][i]} vs {expected[b][i]}");
    }
}
