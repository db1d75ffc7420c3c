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

    /// <summary>"AVX2+FMA" plus ", AVX-512" when present (detected, not used: on Zen 4 it does not raise the FMA rate), or the fallback.</summary>
    public static string Isa()
    {
        if (!CpuGemmMicroKernel.UsesFma) return "portable Vector256 (no AVX2+FMA)";
        return Avx512F.IsSupported ? "AVX2+FMA, AVX-512" : "AVX2+FMA";
    }
}
