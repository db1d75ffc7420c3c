using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Silk.NET.OpenCL;

namespace CnnNative.Devices.OpenCL;

/// <summary>
/// An OpenCL device (a GPU, or a CPU through pocl): one shared context per physical device, one in-order
/// command queue per instance, the library's kernels compiled once per device with tile sizes chosen for its
/// type (<see cref="OpenClTuning"/>). Ops enqueue and return; only Download and the ops that return a number
/// wait, and those read back one float that the device reduced.
/// </summary>
public sealed unsafe partial class OpenClDevice : IDevice
{
    private readonly CL _cl;
    private readonly OpenClContext _context;
    private readonly OpenClDeviceEntry _entry;
    private readonly nint _queue;
    private readonly nint _program;
    private readonly Dictionary<string, (nint Kernel, int MaxGroup)> _kernels = new();
    private readonly object _gate = new();
    private readonly OpenClBuffer _dummy;                 // bound where an optional buffer is absent
    private readonly OpenClBuffer?[] _workspaces = new OpenClBuffer?[4];
    private bool _disposed;

    private const int WsCol = 0, WsAux = 1, WsPartials = 2, WsScalar = 3;

    // ---------------------------------------------------------------- enumeration and creation

    /// <summary>Every OpenCL device of this machine, in the order "opencl:N" indexes; empty without OpenCL.</summary>
    public static IReadOnlyList<DeviceInfo> Enumerate() => OpenClPlatforms.Devices.Select(d => d.Info).ToList();

    /// <summary>Whether any OpenCL device exists here.</summary>
    public static bool IsAvailable => OpenClPlatforms.Devices.Count > 0;

    /// <summary>
    /// Opens "opencl" (the first GPU, else the first device), "opencl:N" (index in <see cref="Enumerate"/>) or
    /// "opencl:NAME" (case-insensitive substring of the device or platform name).
    /// </summary>
    public static OpenClDevice Create(string name, ILogger? logger = null)
        => new(Select(name), null, logger ?? NullLogger.Instance);

    internal static OpenClDeviceEntry Select(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var devices = OpenClPlatforms.Devices;
        if (devices.Count == 0) throw new DeviceNotFoundException(OpenClPlatforms.InstallHint);
        string key = name.Trim();
        if (key.Equals("opencl", StringComparison.OrdinalIgnoreCase))
            return devices.FirstOrDefault(d => d.IsGpu) ?? devices[0];
        if (!key.StartsWith("opencl:", StringComparison.OrdinalIgnoreCase))
            throw new DeviceNotFoundException($"'{name}' is not an OpenCL device name (opencl, opencl:N or opencl:NAME). {Listing(devices)}");
        string selector = key["opencl:".Length..].Trim();
        if (int.TryParse(selector, out int index))
        {
            if (index >= 0 && index < devices.Count) return devices[index];
            throw new DeviceNotFoundException($"There is no OpenCL device {index}. {Listing(devices)}");
        }
        var match = devices.FirstOrDefault(d => d.DeviceName.Contains(selector, StringComparison.OrdinalIgnoreCase)
                                             || d.PlatformName.Contains(selector, StringComparison.OrdinalIgnoreCase));
        return match ?? throw new DeviceNotFoundException($"No OpenCL device matches '{selector}'. {Listing(devices)}");
    }

    private static string Listing(IReadOnlyList<OpenClDeviceEntry> devices)
        => "Available: " + string.Join("; ", devices.Select(d => $"{d.Info.Name} = {d.Info.Description} [{d.Info.Kind}]")) + ".";

    /// <param name="entry">The enumerated device.</param>
    /// <param name="tuning">Tile shapes; null picks them from the device type (tests force the GPU shape on pocl).</param>
    /// <param name="logger">Where the program build time goes.</param>
    internal OpenClDevice(OpenClDeviceEntry entry, OpenClTuning? tuning, ILogger logger)
    {
        _cl = OpenClPlatforms.Api ?? throw new DeviceNotFoundException(OpenClPlatforms.InstallHint);
        _entry = entry;
        Tuning = tuning ?? OpenClTuning.For(entry);
        _context = OpenClContext.For(_cl, entry);
        int err;
        _queue = _cl.CreateCommandQueue(_context.Handle, entry.Device, (CommandQueueProperties)0, &err);
        OpenClException.Check(err, "clCreateCommandQueue");
        try
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            _program = _context.LibraryProgram(Tuning.BuildOptions);
            logger.LogDebug("OpenCL kernels for {Device} ready in {Ms} ms ({Options})", entry.DeviceName, started.ElapsedMilliseconds, Tuning.BuildOptions);
            _dummy = (OpenClBuffer)Allocate(1);
        }
        catch
        {
            _cl.ReleaseCommandQueue(_queue);
            throw;
        }
        Info = entry.Info;
    }

    public string Name => Info.Name;

    public DeviceInfo Info { get; }

    internal OpenClTuning Tuning { get; }

    internal OpenClContext Context => _context;

    // ---------------------------------------------------------------- memory

    public DeviceBuffer Allocate(int length)
    {
        ThrowIfDisposed();
        Checks.NonNegative(length, nameof(Allocate));
        int err;
        // CL_MEM_READ_WRITE; an empty buffer still gets one float because OpenCL rejects size 0.
        nint mem = _cl.CreateBuffer(_context.Handle, MemFlags.ReadWrite, (nuint)Math.Max(length, 1) * sizeof(float), null, &err);
        OpenClException.Check(err, $"clCreateBuffer({length} floats)");
        var buffer = new OpenClBuffer(this, mem, length);
        if (length > 0) Fill(buffer, length, 0f);
        return buffer;
    }

    public void Upload(ReadOnlySpan<float> source, DeviceBuffer destination, int offset = 0)
    {
        ThrowIfDisposed();
        Checks.NonNegative(offset, nameof(Upload));
        Checks.Buffer(this, destination, (long)offset + source.Length, nameof(Upload));
        if (source.IsEmpty) return;
        lock (_gate)
            fixed (float* p = source)  // blocking: the span may be gone when we return
                OpenClException.Check(_cl.EnqueueWriteBuffer(_queue, Mem(destination), true, (nuint)offset * sizeof(float),
                                                             (nuint)source.Length * sizeof(float), p, 0, null, null), "clEnqueueWriteBuffer");
    }

    public void Download(DeviceBuffer source, Span<float> destination, int offset = 0)
    {
        ThrowIfDisposed();
        Checks.NonNegative(offset, nameof(Download));
        Checks.Buffer(this, source, (long)offset + destination.Length, nameof(Download));
        if (destination.IsEmpty) return;
        lock (_gate)
            fixed (float* p = destination)
                OpenClException.Check(_cl.EnqueueReadBuffer(_queue, Mem(source), true, (nuint)offset * sizeof(float),
                                                            (nuint)destination.Length * sizeof(float), p, 0, null, null), "clEnqueueReadBuffer");
    }

    public void Synchronize()
    {
        ThrowIfDisposed();
        lock (_gate) OpenClException.Check(_cl.Finish(_queue), "clFinish");
    }

    public void Dispose()
    {
        if (_disposed) return;
        lock (_gate)
        {
            _cl.Finish(_queue);
            foreach (var ws in _workspaces) ws?.Dispose();
            _dummy?.Dispose();
            foreach (var (kernel, _) in _kernels.Values) _cl.ReleaseKernel(kernel);
            _kernels.Clear();
            _cl.ReleaseCommandQueue(_queue);
            _disposed = true;
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(Name, $"Device '{Name}' was used after it was disposed.");
    }

    /// <summary>The cl_mem of a buffer already validated by <see cref="Checks.Buffer"/>.</summary>
    private static nint Mem(DeviceBuffer buffer) => ((OpenClBuffer)buffer).Handle;

    /// <summary>Validates a buffer for an op and returns its cl_mem.</summary>
    private nint Use(DeviceBuffer buffer, long needed, string op, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(buffer))] string name = "")
    {
        ThrowIfDisposed();
        Checks.Buffer(this, buffer, needed, op, name);
        return ((OpenClBuffer)buffer).Handle;
    }

    /// <summary>A device-owned scratch buffer of at least <paramref name="length"/> floats, grown on demand.</summary>
    private nint Workspace(int slot, long length)
    {
        if (length > int.MaxValue) throw new ArgumentException($"OpenCL workspace of {length} floats exceeds the 2^31 element limit.");
        var ws = _workspaces[slot];
        if (ws is null || ws.Length < length)
        {
            ws?.Dispose();  // the in-order queue keeps it alive until the commands using it finish
            ws = (OpenClBuffer)Allocate((int)Math.Max(length, 1));
            _workspaces[slot] = ws;
        }
        return ws.Handle;
    }

    // ---------------------------------------------------------------- kernel launches

    private (nint Kernel, int MaxGroup) Kernel(string name)
    {
        if (_kernels.TryGetValue(name, out var k)) return k;
        int err;
        nint kernel = _cl.CreateKernel(_program, name, &err);
        OpenClException.Check(err, $"clCreateKernel({name})");
        nuint max = 0;
        OpenClException.Check(_cl.GetKernelWorkGroupInfo(kernel, _entry.Device, (KernelWorkGroupInfo)0x11B0 /* CL_KERNEL_WORK_GROUP_SIZE */,
                                                         (nuint)sizeof(nuint), &max, null), $"clGetKernelWorkGroupInfo({name})");
        k = (kernel, (int)Math.Min((nuint)int.MaxValue, max));
        _kernels[name] = k;
        return k;
    }

    /// <summary>Sets a kernel's arguments in order and enqueues it; the caller holds <see cref="_gate"/>.</summary>
    private ref struct Launch
    {
        private readonly OpenClDevice _device;
        private readonly string _name;
        private readonly nint _kernel;
        public readonly int MaxGroup;
        private uint _index;

        public Launch(OpenClDevice device, string name)
        {
            _device = device;
            _name = name;
            (_kernel, MaxGroup) = device.Kernel(name);
            _index = 0;
        }

        public void Int(int value) => Set(&value, sizeof(int));
        public void Uint(uint value) => Set(&value, sizeof(uint));
        public void Float(float value) => Set(&value, sizeof(float));
        public void Mem(nint mem) => Set(&mem, (nuint)sizeof(nint));

        private void Set(void* value, nuint size)
        {
            OpenClException.Check(_device._cl.SetKernelArg(_kernel, _index, size, value), $"clSetKernelArg({_name}, {_index})");
            _index++;
        }

        /// <summary>Enqueues over global (g0, g1, g2) rounded up to multiples of the local size (l0, l1, l2).</summary>
        public void Run(long g0, long g1, long g2, int l0, int l1, int l2)
        {
            if (g0 <= 0 || g1 <= 0 || g2 <= 0) return;
            nuint* global = stackalloc nuint[3] { (nuint)RoundUp(g0, l0), (nuint)RoundUp(g1, l1), (nuint)RoundUp(g2, l2) };
            nuint* local = stackalloc nuint[3] { (nuint)l0, (nuint)l1, (nuint)l2 };
            OpenClException.Check(_device._cl.EnqueueNdrangeKernel(_device._queue, _kernel, 3, null, global, local, 0, null, null),
                                  $"clEnqueueNDRangeKernel({_name}, global {global[0]}x{global[1]}x{global[2]}, local {l0}x{l1}x{l2})");
        }

        /// <summary>A 1-D launch over n work-items in groups of the device's element-wise size.</summary>
        public void Run1(long n)
        {
            int l = Math.Max(1, Math.Min(_device.Tuning.WorkGroup1D, MaxGroup));
            Run(n, 1, 1, l, 1, 1);
        }

        /// <summary>
        /// A 3-D launch in 16×4 work-groups whatever the sizes: pocl compiles a kernel once per work-group shape,
        /// so a shape that followed the layer's width would recompile for every layer; work-items past the edge
        /// return at once.
        /// </summary>
        public void RunRows(long g0, long g1, long g2)
        {
            int l0 = Math.Max(1, Math.Min(16, MaxGroup)), l1 = Math.Max(1, Math.Min(4, MaxGroup / l0));
            Run(g0, g1, g2, l0, l1, 1);
        }

        private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;
    }

    private float ReadScalar(nint mem)
    {
        float value;
        OpenClException.Check(_cl.EnqueueReadBuffer(_queue, mem, true, 0, sizeof(float), &value, 0, null, null), "clEnqueueReadBuffer(result)");
        return value;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
