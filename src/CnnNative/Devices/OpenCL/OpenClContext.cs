using System.Collections.Concurrent;
using System.Text;
using Silk.NET.OpenCL;

namespace CnnNative.Devices.OpenCL;

/// <summary>
/// The OpenCL context of one physical device and the programs built in it (cached per context, keyed by build
/// options). Each <see cref="OpenClDevice"/> still has its own command queue and kernel objects (kernel arguments are
/// per kernel object).
/// </summary>
/// <remarks>
/// Contexts are kept in a process-wide table keyed by device, on purpose: pocl takes seconds to compile the kernels,
/// and a test run or a training session opens the same device many times. The table is emptied, and every program
/// and context released, when the process exits (<see cref="ReleaseAll"/>, also callable by hand).
/// </remarks>
internal sealed unsafe class OpenClContext : IDisposable
{
    private static readonly ConcurrentDictionary<nint, OpenClContext> Contexts = new();
    private readonly ConcurrentDictionary<string, Lazy<ClProgramHandle>> _programs = new();
    private readonly ClContextHandle _handle;

    static OpenClContext() => AppDomain.CurrentDomain.ProcessExit += (_, _) => ReleaseAll();

    private OpenClContext(CL cl, OpenClDeviceEntry entry)
    {
        Cl = cl;
        Entry = entry;
        nint device = entry.Device;
        nint* properties = stackalloc nint[3] { 0x1084 /* CL_CONTEXT_PLATFORM */, entry.Platform, 0 };
        int err;
        nint context = cl.CreateContext(properties, 1, &device, null, null, &err);
        OpenClException.Check(err, "clCreateContext");
        _handle = new ClContextHandle(context);
    }

    public CL Cl { get; }
    public OpenClDeviceEntry Entry { get; }
    public nint Handle => _handle.Raw;

    /// <summary>The shared context of a device (created on first use, kept until <see cref="ReleaseAll"/>).</summary>
    public static OpenClContext For(CL cl, OpenClDeviceEntry entry) => Contexts.GetOrAdd(entry.Device, _ => new OpenClContext(cl, entry));

    /// <summary>Releases every cached program and context; devices still open keep theirs alive (OpenCL reference counts).</summary>
    public static void ReleaseAll()
    {
        foreach (var key in Contexts.Keys)
            if (Contexts.TryRemove(key, out var context)) context.Dispose();
    }

    /// <summary>The library's kernels built with <paramref name="options"/>, compiled once per context.</summary>
    public ClProgramHandle LibraryProgram(string options)
        => _programs.GetOrAdd(options, o => new Lazy<ClProgramHandle>(() => Build(KernelSources.All, o))).Value;

    /// <summary>
    /// Compiles <paramref name="source"/> for this device. A failed build throws an <see cref="OpenClException"/>
    /// whose message carries the compiler's build log. Internal so tests can build arbitrary source.
    /// </summary>
    internal ClProgramHandle Build(string source, string options)
    {
        int err;
        var program = new ClProgramHandle(Cl.CreateProgramWithSource(Handle, 1, new[] { source }, null, &err));
        OpenClException.Check(err, "clCreateProgramWithSource");
        nint device = Entry.Device;
        err = Cl.BuildProgram(program.Raw, 1, &device, options, null, null);
        if (err != 0)
        {
            string log = BuildLog(program.Raw);
            program.Dispose();
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

    public void Dispose()
    {
        foreach (var program in _programs.Values)
            if (program.IsValueCreated) program.Value.Dispose();
        _programs.Clear();
        _handle.Dispose();
    }
}
