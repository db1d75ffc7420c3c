using System.Text;
using Silk.NET.OpenCL;

namespace CnnNative.Devices.OpenCL;

/// <summary>One OpenCL device as enumerated: its handles, the facts kernels are tuned by, and its <see cref="DeviceInfo"/>.</summary>
internal sealed record OpenClDeviceEntry(
    int Index, nint Platform, nint Device, string PlatformName, string DeviceName, ulong Type,
    int ComputeUnits, long GlobalMemory, long LocalMemory, bool LocalMemoryIsDedicated, long MaxAllocation,
    int MaxWorkGroupSize, int[] MaxWorkItemSizes, string OpenClCVersion, DeviceInfo Info)
{
    public const ulong TypeCpu = 1 << 1, TypeGpu = 1 << 2, TypeAccelerator = 1 << 3;
    public bool IsGpu => (Type & TypeGpu) != 0;
    public bool IsCpu => (Type & TypeCpu) != 0;
}

/// <summary>
/// Finds the OpenCL platforms and devices of this machine, in a stable order (platform by platform, as the ICD
/// loader lists them), which is the order "opencl:N" indexes.
/// </summary>
internal static unsafe class OpenClPlatforms
{
    // cl.h's parameter names, used as raw numbers so this code does not depend on how Silk.NET spells them.
    private const uint PlatformVersion = 0x0901, PlatformName = 0x0902, PlatformVendor = 0x0903;
    private const uint DeviceType = 0x1000, DeviceMaxComputeUnits = 0x1002, DeviceMaxWorkItemDimensions = 0x1003,
        DeviceMaxWorkGroupSize = 0x1004, DeviceMaxWorkItemSizes = 0x1005, DeviceMaxMemAllocSize = 0x1010,
        DeviceGlobalMemSize = 0x101F, DeviceLocalMemType = 0x1022, DeviceLocalMemSize = 0x1023, DeviceName = 0x102B,
        DeviceVendor = 0x102C, DriverVersion = 0x102D, DeviceVersion = 0x102F, DeviceOpenClCVersion = 0x103D;

    private static readonly Lazy<CL?> LazyApi = new(() =>
    {
        try { return CL.GetApi(); }
        catch (Exception) { return null; }  // no libOpenCL.so (ICD loader) on this machine
    });

    /// <summary>The OpenCL API, or null when the ICD loader library is not installed.</summary>
    public static CL? Api => LazyApi.Value;

    /// <summary>Why no device can be listed, for exception messages.</summary>
    public const string InstallHint =
        "No OpenCL platform was found. Install an OpenCL driver (on Debian: apt-get install pocl-opencl-icd ocl-icd-libopencl1 " +
        "for the CPU; the GPU vendor's ICD for a GPU) and check with `clinfo -l`.";

    /// <summary>Every device of every platform; empty when OpenCL is absent.</summary>
    public static IReadOnlyList<OpenClDeviceEntry> Devices => LazyDevices.Value;

    private static readonly Lazy<IReadOnlyList<OpenClDeviceEntry>> LazyDevices = new(Scan);

    private static IReadOnlyList<OpenClDeviceEntry> Scan()
    {
        var cl = Api;
        var result = new List<OpenClDeviceEntry>();
        if (cl is null) return result;
        uint platformCount = 0;
        int err;
        try { err = cl.GetPlatformIDs(0, null, &platformCount); }
        catch (Exception) { return result; }  // the loader exists but its entry points do not resolve
        if (err != 0 || platformCount == 0) return result;  // CL_PLATFORM_NOT_FOUND_KHR: loader without drivers
        var platforms = new nint[platformCount];
        fixed (nint* p = platforms) OpenClException.Check(cl.GetPlatformIDs(platformCount, p, null), "clGetPlatformIDs");

        foreach (var platform in platforms)
        {
            string platformName = PlatformString(cl, platform, PlatformName);
            uint deviceCount = 0;
            err = cl.GetDeviceIDs(platform, Silk.NET.OpenCL.DeviceType.All, 0, null, &deviceCount);
            if (err != 0 || deviceCount == 0) continue;  // CL_DEVICE_NOT_FOUND: a platform without devices
            var devices = new nint[deviceCount];
            fixed (nint* d = devices)
                OpenClException.Check(cl.GetDeviceIDs(platform, Silk.NET.OpenCL.DeviceType.All, deviceCount, d, null), "clGetDeviceIDs");
            foreach (var device in devices)
                result.Add(Describe(cl, result.Count, platform, platformName, device));
        }
        return result;
    }

    private static OpenClDeviceEntry Describe(CL cl, int index, nint platform, string platformName, nint device)
    {
        string name = DeviceString(cl, device, DeviceName).Trim();
        ulong type = DeviceValue<ulong>(cl, device, DeviceType);
        int units = (int)DeviceValue<uint>(cl, device, DeviceMaxComputeUnits);
        long global = (long)DeviceValue<ulong>(cl, device, DeviceGlobalMemSize);
        long local = (long)DeviceValue<ulong>(cl, device, DeviceLocalMemSize);
        bool dedicatedLocal = DeviceValue<uint>(cl, device, DeviceLocalMemType) == 1;  // CL_LOCAL (1) vs CL_GLOBAL (2)
        long maxAlloc = (long)DeviceValue<ulong>(cl, device, DeviceMaxMemAllocSize);
        int maxGroup = (int)Math.Min(int.MaxValue, DeviceValue<nuint>(cl, device, DeviceMaxWorkGroupSize));
        int dims = (int)DeviceValue<uint>(cl, device, DeviceMaxWorkItemDimensions);
        var sizes = new nuint[Math.Max(dims, 3)];
        fixed (nuint* s = sizes)
            OpenClException.Check(cl.GetDeviceInfo(device, (Silk.NET.OpenCL.DeviceInfo)DeviceMaxWorkItemSizes, (nuint)(sizes.Length * sizeof(nuint)), s, null),
                                  "clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_SIZES)");
        int[] itemSizes = sizes.Select(v => (int)Math.Min(int.MaxValue, v)).ToArray();
        string cVersion = DeviceString(cl, device, DeviceOpenClCVersion).Trim();
        string kind = (type & OpenClDeviceEntry.TypeGpu) != 0 ? "opencl-gpu"
                    : (type & OpenClDeviceEntry.TypeCpu) != 0 ? "opencl-cpu"
                    : (type & OpenClDeviceEntry.TypeAccelerator) != 0 ? "opencl-accelerator" : "opencl";
        var details = new Dictionary<string, string>
        {
            ["platform"] = platformName,
            ["platform version"] = PlatformString(cl, platform, PlatformVersion).Trim(),
            ["platform vendor"] = PlatformString(cl, platform, PlatformVendor).Trim(),
            ["device type"] = kind["opencl-".Length..] is { Length: > 0 } t ? t : "other",
            ["device vendor"] = DeviceString(cl, device, DeviceVendor).Trim(),
            ["device version"] = DeviceString(cl, device, DeviceVersion).Trim(),
            ["driver version"] = DeviceString(cl, device, DriverVersion).Trim(),
            ["compute units"] = units.ToString(),
            ["global memory"] = $"{global / (1024 * 1024)} MiB",
            ["max allocation"] = $"{maxAlloc / (1024 * 1024)} MiB",
            ["local memory"] = $"{local / 1024} KiB ({(dedicatedLocal ? "dedicated" : "global")})",
            ["max work-group size"] = maxGroup.ToString(),
            ["max work-item sizes"] = string.Join("x", itemSizes.Take(dims)),
            ["OpenCL C version"] = cVersion,
        };
        var info = new DeviceInfo($"opencl:{index}", kind, $"{name} ({platformName})", units, global, details);
        return new OpenClDeviceEntry(index, platform, device, platformName, name, type, units, global, local, dedicatedLocal,
                                     maxAlloc, maxGroup, itemSizes, cVersion, info);
    }

    private static T DeviceValue<T>(CL cl, nint device, uint param) where T : unmanaged
    {
        T value = default;
        OpenClException.Check(cl.GetDeviceInfo(device, (Silk.NET.OpenCL.DeviceInfo)param, (nuint)sizeof(T), &value, null), $"clGetDeviceInfo(0x{param:X4})");
        return value;
    }

    private static string DeviceString(CL cl, nint device, uint param)
    {
        nuint size = 0;
        OpenClException.Check(cl.GetDeviceInfo(device, (Silk.NET.OpenCL.DeviceInfo)param, 0, null, &size), $"clGetDeviceInfo(0x{param:X4})");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes) OpenClException.Check(cl.GetDeviceInfo(device, (Silk.NET.OpenCL.DeviceInfo)param, size, b, null), $"clGetDeviceInfo(0x{param:X4})");
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }

    private static string PlatformString(CL cl, nint platform, uint param)
    {
        nuint size = 0;
        OpenClException.Check(cl.GetPlatformInfo(platform, (PlatformInfo)param, 0, null, &size), $"clGetPlatformInfo(0x{param:X4})");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes) OpenClException.Check(cl.GetPlatformInfo(platform, (PlatformInfo)param, size, b, null), $"clGetPlatformInfo(0x{param:X4})");
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }
}
