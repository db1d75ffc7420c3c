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
        // Where AVX-512 is present "native" runs its AVX-512 kernels; the AVX2 ones are checked as a device of their own.
        .. System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? ["native:avx2"] : Array.Empty<string>(),
        "opencl",
        "cpu",
        // The cpu device's 256-bit kernels: on an AVX-512 machine "cpu" runs the 512-bit ones.
        "cpu:vector256",
    ];

    /// <summary>
    /// <see cref="Names"/> as fixture arguments, the cpu device's fixtures in category <see cref="CpuCategory"/> (so the
    /// test task can rerun them with narrower vector instructions).
    /// </summary>
    public static IEnumerable<TestFixtureData> Fixtures => Names.Select(Fixture);

    /// <summary>Every device including the reference: the contract (validation, disposal, ownership) binds the oracle too.</summary>
    public static IEnumerable<TestFixtureData> FixturesWithReference => [.. Fixtures, Fixture("reference")];

    /// <summary>The category of every test of the cpu device (its own fixtures and its conformance fixtures).</summary>
    public const string CpuCategory = "CpuDevice";

    private static TestFixtureData Fixture(string name)
    {
        var fixture = new TestFixtureData(name);
        if (name.StartsWith("cpu", StringComparison.Ordinal)) fixture.Properties.Add(NUnit.Framework.Internal.PropertyNames.Category, CpuCategory);
        return fixture;
    }

    /// <summary>Two threads: the CI machine's core count, and enough to exercise the parallel paths.</summary>
    public static IDevice Create(string name) => Device.Create(name, threads: 2);
}
