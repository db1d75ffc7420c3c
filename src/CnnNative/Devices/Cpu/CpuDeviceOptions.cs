namespace CnnNative.Devices;

/// <summary>
/// What the cpu device is created with (<see cref="Device.Create(CpuDeviceOptions, Microsoft.Extensions.Logging.ILoggerFactory?)"/>);
/// fixed for the device's life (there is no process-wide state).
/// </summary>
public sealed record CpuDeviceOptions
{
    /// <summary>Worker threads, the caller included; 0 means <see cref="Environment.ProcessorCount"/>.</summary>
    public int Threads { get; init; }

    /// <summary>Which optional fast paths the device may take (all by default).</summary>
    public CpuPaths Paths { get; init; } = CpuPaths.All;

    /// <summary>The vector width the kernels run at: the widest in hardware by default (<see cref="CpuIsa.Auto"/>).</summary>
    public CpuIsa Isa { get; init; } = CpuIsa.Auto;
}
