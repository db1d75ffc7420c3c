using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnNative.Devices.Cpu;

/// <summary>What the processor is and which vector instructions the cpu device uses on it.</summary>
internal static class CpuProcessor
{
    /// <summary>The processor's model name from /proc/cpuinfo where present, else the architecture.</summary>
    public static string Model()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and >= 0)
                        return line[(colon + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>The width <see cref="CpuIsa.Auto"/> stands for here: Vector512 where the processor runs it in hardware (AVX-512F).</summary>
    public static CpuIsa Resolve(CpuIsa isa)
        => isa != CpuIsa.Auto ? isa : Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? CpuIsa.Vector512 : CpuIsa.Vector256;

    /// <summary>What the kernels of a device created with <paramref name="isa"/> run: the width and whether it is in hardware, with FMA.</summary>
    public static string Isa(CpuIsa isa) => Resolve(isa) switch
    {
        CpuIsa.Vector512 when Avx512F.IsSupported => "AVX-512F (Vector512)",
        CpuIsa.Vector512 => "Vector512 in software (no AVX-512F)",
        _ when Fma.IsSupported && Avx2.IsSupported => Avx512F.IsSupported ? "AVX2+FMA (Vector256; AVX-512F present, not used)" : "AVX2+FMA (Vector256)",
        _ => "portable Vector256 (no AVX2+FMA)",
    };
}
