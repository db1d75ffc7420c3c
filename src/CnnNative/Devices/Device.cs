using CnnNative.Devices.OpenCL;
using CnnNative.Devices.Reference;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CnnNative.Devices;

/// <summary>
/// Creates devices by name: "reference", "cpu", "cpu:vector256", "cpu:vector512" (the cpu device at a forced vector
/// width, <see cref="CpuIsa"/>), "native", "native:avx2", "native:avx512", "opencl", "opencl:N", "opencl:NAME", "auto".
/// </summary>
public static class Device
{
    /// <summary>
    /// The device called <paramref name="name"/>. <paramref name="threads"/> bounds the threads the host
    /// devices use (0: all cores). Throws <see cref="DeviceNotFoundException"/> naming what is available when
    /// the name is unknown or the device cannot be opened here.
    /// </summary>
    public static IDevice Create(string name, int threads = 0, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var logger = LoggerFor(loggerFactory);
        string key = name.Trim().ToLowerInvariant();
        IDevice device = key switch
        {
            "reference" => new ReferenceDevice(),
            "cpu" => new CpuDevice(threads),
            "cpu:vector256" => new CpuDevice(new CpuDeviceOptions { Threads = threads, Isa = CpuIsa.Vector256 }),
            "cpu:vector512" => new CpuDevice(new CpuDeviceOptions { Threads = threads, Isa = CpuIsa.Vector512 }),
            "native" => Native.NativeDevice.Create(threads),
            "native:avx2" => Native.NativeDevice.Create(threads, Native.NativeIsa.Avx2),
            "native:avx512" => Native.NativeDevice.Create(threads, Native.NativeIsa.Avx512),
            "auto" => Auto(threads, logger),
            _ when key.StartsWith("opencl") => OpenClDevice.Create(key, logger),
            _ => throw new DeviceNotFoundException($"Unknown device '{name}'. Known devices: {string.Join(", ", KnownNames)}."),
        };
        return Opened(device, logger);
    }

    /// <summary>
    /// The cpu device with <paramref name="options"/>: its threads, vector width and the fast paths it may take
    /// (<see cref="CpuPaths"/>, which no device name reaches). Options are fixed for the device's life.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Negative <see cref="CpuDeviceOptions.Threads"/>.</exception>
    public static IDevice Create(CpuDeviceOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Opened(new CpuDevice(options), LoggerFor(loggerFactory));
    }

    /// <summary>
    /// The native device with <paramref name="threads"/> threads (0: all cores) whose GEMM and convolution kernels use
    /// <paramref name="isa"/> (the widest the processor runs by default); the same as the names "native",
    /// "native:avx2" and "native:avx512".
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative <paramref name="threads"/>, or an undefined <paramref name="isa"/>.</exception>
    /// <exception cref="DeviceNotFoundException">The library is missing or of another ABI version, or the processor lacks the instruction set.</exception>
    public static IDevice Create(Native.NativeIsa isa, int threads = 0, ILoggerFactory? loggerFactory = null)
        => Opened(Native.NativeDevice.Create(threads, isa), LoggerFor(loggerFactory));

    /// <summary>
    /// Every OpenCL device of this machine, in the order "opencl:N" counts them (N from 0); empty without an OpenCL
    /// driver. The first call scans the platforms once; no device is opened.
    /// </summary>
    /// <exception cref="OpenClException">The driver failed while listing its platforms or devices.</exception>
    public static IReadOnlyList<DeviceInfo> OpenClDevices() => OpenClDevice.Enumerate();

    private static ILogger LoggerFor(ILoggerFactory? loggerFactory) => (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("CnnNative.Devices");

    /// <summary>Logs which device was opened, and returns it.</summary>
    private static IDevice Opened(IDevice device, ILogger logger)
    {
        logger.LogInformation("Using device {Device}", device.Info);
        return device;
    }

    /// <summary>An OpenCL GPU when one is present, else the CPU device; says which and why in the log.</summary>
    private static IDevice Auto(int threads, ILogger logger)
    {
        IReadOnlyList<DeviceInfo> openCl;
        try { openCl = OpenClDevice.Enumerate(); }
        catch (DeviceNotFoundException e)
        {
            logger.LogInformation("auto: OpenCL is not usable here ({Reason}); choosing the CPU device", e.Message);
            return new CpuDevice(threads);
        }
        var gpu = openCl.FirstOrDefault(d => d.Kind == "opencl-gpu");
        if (gpu is not null)
        {
            logger.LogInformation("auto: choosing the OpenCL GPU {Device}", gpu);
            return OpenClDevice.Create(gpu.Name, logger);
        }
        logger.LogInformation("auto: no OpenCL GPU found ({Count} OpenCL devices, none a GPU); choosing the CPU device", openCl.Count);
        return new CpuDevice(threads);
    }

    /// <summary>The names <see cref="Create(string, int, ILoggerFactory?)"/> understands.</summary>
    public static IReadOnlyList<string> KnownNames { get; } = ["reference", "cpu", "cpu:vector256", "cpu:vector512", "native", "native:avx2", "native:avx512", "opencl", "opencl:N", "opencl:NAME", "auto"];
}

/// <summary>A device name that is unknown, or a device that is not present or cannot be used on this machine.</summary>
public sealed class DeviceNotFoundException(string message, Exception? inner = null) : Exception(message, inner);
