using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using Silk.NET.OpenCL;

namespace CnnNative.Devices.OpenCL;

/// <summary>
/// The OpenCL context of one physical device and the programs built in it. Built programs are cached for the
/// life of the process, keyed by device and build options, because pocl takes seconds to compile the kernels
/// and a test run or a training session opens the same device many times; each <see cref="OpenClDevice"/>
/// still has its own command queue and kernel objects (kernel arguments are per kernel object).
/// </summary>
internal sealed unsafe class OpenClContext
{
    private static readonly ConcurrentDictionary<nint, OpenClContext> Contexts = new();
    private readonly ConcurrentDictionary<string, Lazy<nint>> _programs = new();

    private OpenClContext(CL cl, OpenClDeviceEntry entry)
    {
        Cl = cl;
        Entry = entry;
        nint device = entry.Device;
        nint* properties = stackalloc nint[3] { 0x1084 /* CL_CONTEXT_PLATFORM */, entry.Platform, 0 };
        int err;
        Handle = cl.CreateContext(properties, 1, &device, null, null, &err);
        OpenClException.Check(err, "clCreateContext");
    }

    public CL Cl { get; }
    public OpenClDeviceEntry Entry { get; }
    public nint Handle { get; }

    /// <summary>The shared context of a device (created on first use, kept for the process).</summary>
    public static OpenClContext For(CL cl, OpenClDeviceEntry entry) => Contexts.GetOrAdd(entry.Device, _ => new OpenClContext(cl, entry));

    /// <summary>The library's kernels built with <paramref name="options"/>, compiled once per context.</summary>
    public nint LibraryProgram(string options)
        => _programs.GetOrAdd(options, o => new Lazy<nint>(() => Build(KernelSources.All, o))).Value;

    /// <summary>
    /// Compiles <paramref name="source"/> for this device. A failed build throws an <see cref="OpenClException"/>
    /// whose message carries the compiler's build log. Internal so tests can build arbitrary source.
    /// </summary>
    internal nint Build(string source, string options)
    {
        int err;
        nint program = Cl.CreateProgramWithSource(Handle, 1, new[] { source }, null, &err);
        OpenClException.Check(err, "clCreateProgramWithSource");
        nint device = Entry.Device;
        err = Cl.BuildProgram(program, 1, &device, options, null, null);
        if (err != 0)
        {
            string log = BuildLog(program);
            Cl.ReleaseProgram(program);
            throw new OpenClException("clBuildProgram", err,
                $"the kernels did not compile for '{Entry.DeviceName}' with options \"{options}\". Build log:\n{log}");
        }
        return program;
    }

    private string BuildLog(nint program)
    {
        nuint size = 0;
        if (Cl.GetProgramBuildInfo(program, Entry.Device, (ProgramBuildInfo)0x1183 /* CL_PROGRAM_BUILD_LOG */, 0, null, &size) != 0 || size == 0)
            return "(no build log)";
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
            if (Cl.GetProgramBuildInfo(program, Entry.Device, (ProgramBuildInfo)0x1183, size, b, null) != 0) return "(no build log)";
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0', '\n', ' ');
    }
}

/// <summary>The .cl files embedded in this assembly, common.cl first.</summary>
internal static class KernelSources
{
    private static readonly Lazy<string> LazyAll = new(Load);

    /// <summary>Every kernel file, concatenated into one program source.</summary>
    public static string All => LazyAll.Value;

    private static string Load()
    {
        var assembly = typeof(KernelSources).Assembly;
        var names = assembly.GetManifestResourceNames().Where(n => n.EndsWith(".cl", StringComparison.Ordinal))
                            .OrderBy(n => n.EndsWith(".common.cl", StringComparison.Ordinal) ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal)
                            .ToList();
        if (names.Count == 0) throw new InvalidOperationException("The OpenCL kernel sources are not embedded in CnnNative.dll.");
        var sb = new StringBuilder();
        foreach (var name in names)
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            sb.Append("// ---- ").Append(name).Append('\n').Append(reader.ReadToEnd()).Append('\n');
        }
        return sb.ToString();
    }
}
