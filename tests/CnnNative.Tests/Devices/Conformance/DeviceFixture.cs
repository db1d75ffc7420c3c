namespace CnnNative.Tests.Devices.Conformance;

/// <summary>
/// Base of every conformance fixture: one device (and the reference) per fixture, opened once, because an
/// OpenCL device compiles its programs when opened and pocl compiles slowly.
/// </summary>
public abstract class DeviceFixture(string deviceName)
{
    protected string DeviceName { get; } = deviceName;
    protected DevicePair Pair { get; private set; } = null!;

    [OneTimeSetUp]
    public void OpenDevice() => Pair = new DevicePair(DeviceName);

    [OneTimeTearDown]
    public void CloseDevice() => Pair.Dispose();
}
