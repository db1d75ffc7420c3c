using CnnNative.Devices;

namespace CnnNative.Bench;

/// <summary>The devices this machine can open, for [ParamsSource]: a missing device is left out, not a failed benchmark.</summary>
public static class AvailableDevices
{
    public static IEnumerable<string> Names()
    {
        foreach (var name in new[] { "cpu", "native", "opencl" })
        {
            IDevice? d = null;
            try { d = Device.Create(name); }
            catch (DeviceNotFoundException) { continue; }
            finally { d?.Dispose(); }
            yield return name;
        }
    }
}
