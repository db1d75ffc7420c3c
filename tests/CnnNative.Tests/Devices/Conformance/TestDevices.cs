using CnnNative.Devices;

namespace CnnNative.Tests.Devices.Conformance;

/// <summary>
/// The devices the conformance suite checks against the reference. Each device adds its name here when it
/// lands; every one of them must be creatable wherever the test task runs (setup installs pocl, the build
/// produces libcnnnative), so a device that fails to open fails its tests instead of being skipped.
/// </summary>
public static class TestDevices
{
    public static IEnumerable<string> Names =>
    [
        "native",
        "opencl",
        "cpu",
    ];

    /// <summary>Every device including the reference: the contract (validation, disposal, ownership) binds the oracle too.</summary>
    public static IEnumerable<string> NamesWithReference => [.. Names, "reference"];

    /// <summary>Two threads: the CI machine's core count, and enough to exercise the parallel paths.</summary>
    public static IDevice Create(string name) => Device.Create(name, threads: 2);
}
