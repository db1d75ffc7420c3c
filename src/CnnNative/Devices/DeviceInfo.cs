namespace CnnNative.Devices;

/// <summary>What a device is, for `cnn devices`, logs and benchmark tables.</summary>
/// <param name="Name">Name that <see cref="Device.Create(string, int, Microsoft.Extensions.Logging.ILoggerFactory?)"/> accepts, e.g. "cpu" or "opencl:0".</param>
/// <param name="Kind">"reference", "cpu", "native", "opencl-gpu", "opencl-cpu", ...</param>
/// <param name="Description">Vendor and model, e.g. "AMD EPYC 9R14 (AVX2+FMA, AVX-512)".</param>
/// <param name="ComputeUnits">Threads or compute units the device uses.</param>
/// <param name="MemoryBytes">Global memory, 0 when the host's.</param>
/// <param name="Details">Further key/value facts (ISA, OpenCL version, work-group limits, ...).</param>
public sealed record DeviceInfo(string Name, string Kind, string Description, int ComputeUnits, long MemoryBytes,
                                IReadOnlyDictionary<string, string> Details)
{
    /// <summary>"name [kind] description, N compute units", as `cnn devices` and the logs print it.</summary>
    public override string ToString() => $"{Name} [{Kind}] {Description}, {ComputeUnits} compute units";
}
