using CnnNative.Devices;
using CnnNative.Devices.Reference;

namespace CnnNative.Tests.Devices.Conformance;

/// <summary>
/// A device under test and the reference, with helpers that put the same host data on both, run an op on
/// both and compare what comes back. Buffers are tracked and disposed with the pair.
/// </summary>
public sealed class DevicePair : IDisposable
{
    private readonly List<DeviceBuffer> _buffers = [];

    public DevicePair(string deviceName)
    {
        Device = TestDevices.Create(deviceName);
        Reference = new ReferenceDevice();
    }

    public IDevice Device { get; }
    public IDevice Reference { get; }

    /// <summary>The same values on both devices. <paramref name="slack"/> extra elements hold a sentinel that must survive.</summary>
    public (DeviceBuffer dev, DeviceBuffer reference) Put(float[] values, int slack = 0)
    {
        var d = Device.Allocate(values.Length + slack);
        var r = Reference.Allocate(values.Length + slack);
        _buffers.Add(d);
        _buffers.Add(r);
        var padded = new float[values.Length + slack];
        values.CopyTo(padded, 0);
        for (int i = values.Length; i < padded.Length; i++) padded[i] = Sentinel;
        Device.Upload(padded, d);
        Reference.Upload(padded, r);
        return (d, r);
    }

    /// <summary>A value written past the end of what an op may touch; overwriting it is a bug.</summary>
    public const float Sentinel = -12345.5f;

    public static float[] Read(IDevice device, DeviceBuffer buffer)
    {
        var a = new float[buffer.Length];
        device.Download(buffer, a);
        return a;
    }

    /// <summary>Compares the two buffers of a pair element by element.</summary>
    public void AssertClose((DeviceBuffer dev, DeviceBuffer reference) pair, float rtol, float atol, string context)
        => Compare.Close(Read(Device, pair.dev), Read(Reference, pair.reference), rtol, atol, $"{Device.Name} {context}");

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
        Device.Dispose();
        Reference.Dispose();
    }
}
