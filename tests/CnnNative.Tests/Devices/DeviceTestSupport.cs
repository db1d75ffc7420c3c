using CnnNative.Devices;

namespace CnnNative.Tests.Devices;

/// <summary>Running an op on host arrays: seeded data in, every buffer out.</summary>
internal static class DeviceTestSupport
{
    /// <summary>Seeded values in [−scale, scale).</summary>
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
}
