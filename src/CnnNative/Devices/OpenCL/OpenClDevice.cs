using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Silk.NET.OpenCL;

namespace CnnNative.Devices.OpenCL;

/// <summary>
/// An OpenCL device (a GPU, or a CPU through pocl): one shared context per physical device, one in-order
/// command queue per instance, the library's kernels compiled once per device with tile sizes chosen for its
/// type (<see cref="OpenClTuning"/>). Ops enqueue and return; only Download and the ops that return a number
/// wait, and those read back one float that the device reduced. One partial file per op family
/// (OpenClDevice.&lt;Family&gt;.cs, kernels in Kernels/&lt;family&gt;.cl), each kernel behind a typed launcher struct
/// (<see cref="IKernelArgs"/>).
/// </summary>
/// <remarks>
/// Every OpenCL object the device creates is owned by a <see cref="ClHandle"/>: the queue and kernels by the
/// device, buffers by their <see cref="OpenClBuffer"/>, programs and contexts by <see cref="OpenClContext"/>'s cache.
/// </remarks>
internal sealed unsafe partial class OpenClDevice : DeviceBase
{
    private readonly CL _cl;
    private readonly OpenClContext _context;
    private readonly OpenClDeviceEntry _entry;
    private readonly ClQueueHandle _queue;
    private readonly ClProgramHandle _program;
    private readonly Dictionary<string, (ClKernelHandle Kernel, int MaxGroup)> _kernels = new();
    private readonly OpenClBuffer _dummy;                 // bound where an optional buffer is absent
    private readonly OpenClBuffer?[] _workspaces = new OpenClBuffer?[4];

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
    internal OpenClDevice(OpenClDeviceEntry entry, OpenClTuning? tuning, ILogger logger) : base(entry.Info.Name)
    {
        _cl = OpenClPlatforms.Api ?? throw new DeviceNotFoundException(OpenClPlatforms.InstallHint);
        _entry = entry;
        Tuning = tuning ?? OpenClTuning.For(entry);
        _context = OpenClContext.For(_cl, entry);
        int err;
        _queue = new ClQueueHandle(_cl.CreateCommandQueue(_context.Handle, entry.Device, (CommandQueueProperties)0, &err));
        OpenClException.Check(err, "clCreateCommandQueue");
        try
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            _program = _context.LibraryProgram(Tuning.BuildOptions);
            logger.LogDebug("OpenCL kernels for {Device} ready in {Ms} ms ({Options})", entry.DeviceName, started.ElapsedMilliseconds, Tuning.BuildOptions);
            _dummy = CreateBuffer(1);
        }
        catch
        {
            _queue.Dispose();
            throw;
        }
        Info = entry.Info;
    }

    /// <inheritdoc />
    public override DeviceInfo Info { get; }

    internal OpenClTuning Tuning { get; }

    internal OpenClContext Context => _context;

    /// <summary>The program the device's kernels come from (tests read its kernels' signatures).</summary>
    internal ClProgramHandle Program => _program;

    // ---------------------------------------------------------------- memory

    protected override DeviceBuffer AllocateCore(int length) => CreateBuffer(length);

    /// <summary>A zero-filled buffer; also the device's own workspaces, which the user never sees.</summary>
    private OpenClBuffer CreateBuffer(int length)
    {
        int err;
        // CL_MEM_READ_WRITE; an empty buffer still gets one float because OpenCL rejects size 0.
        var mem = new ClMemHandle(_cl.CreateBuffer(_context.Handle, MemFlags.ReadWrite, (nuint)Math.Max(length, 1) * sizeof(float), null, &err));
        OpenClException.Check(err, $"clCreateBuffer({length} floats)");
        var buffer = new OpenClBuffer(this, mem, length);
        if (length > 0) FillCore(buffer, length, 0f);
        return buffer;
    }

    protected override void UploadCore(ReadOnlySpan<float> source, DeviceBuffer destination, int offset)
    {
        fixed (float* p = source)  // blocking: the span may be gone when we return
            OpenClException.Check(_cl.EnqueueWriteBuffer(_queue.Raw, Mem(destination).Handle, true, (nuint)offset * sizeof(float),
                                                         (nuint)source.Length * sizeof(float), p, 0, null, null), "clEnqueueWriteBuffer");
    }

    protected override void DownloadCore(DeviceBuffer source, Span<float> destination, int offset)
    {
        fixed (float* p = destination)
            OpenClException.Check(_cl.EnqueueReadBuffer(_queue.Raw, Mem(source).Handle, true, (nuint)offset * sizeof(float),
                                                        (nuint)destination.Length * sizeof(float), p, 0, null, null), "clEnqueueReadBuffer");
    }

    protected override void SynchronizeCore() => OpenClException.Check(_cl.Finish(_queue.Raw), "clFinish");

    protected override void DisposeCore()
    {
        _cl.Finish(_queue.Raw);
        foreach (var ws in _workspaces) ws?.Dispose();
        _dummy.Dispose();
        foreach (var (kernel, _) in _kernels.Values) kernel.Dispose();
        _kernels.Clear();
        _queue.Dispose();
    }

    /// <summary>The cl_mem of a validated buffer, or the dummy buffer for an absent optional one.</summary>
    private ClMem Mem(DeviceBuffer? buffer) => ((OpenClBuffer?)buffer ?? _dummy).Mem;

    /// <summary>A device-owned scratch buffer of at least <paramref name="length"/> floats, grown on demand.</summary>
    private ClMem Workspace(int slot, long length)
    {
        if (length > int.MaxValue) throw new ArgumentException($"OpenCL workspace of {length} floats exceeds the 2^31 element limit.");
        var ws = _workspaces[slot];
        if (ws is null || ws.Length < length)
        {
            ws?.Dispose();  // the in-order queue keeps it alive until the commands using it finish
            ws = CreateBuffer((int)Math.Max(length, 1));
            _workspaces[slot] = ws;
        }
        return ws.Mem;
    }

    // ---------------------------------------------------------------- kernel launches

    /// <summary>The device's kernel object for launcher <typeparamref name="T"/>, created on first use.</summary>
    private (ClKernelHandle Kernel, int MaxGroup) Kernel<T>() where T : unmanaged, IKernelArgs
    {
        if (_kernels.TryGetValue(T.Kernel, out var k)) return k;
        int err;
        var kernel = new ClKernelHandle(_cl.CreateKernel(_program.Raw, T.Kernel, &err));
        OpenClException.Check(err, $"clCreateKernel({T.Kernel})");
        nuint max = 0;
        OpenClException.Check(_cl.GetKernelWorkGroupInfo(kernel.Raw, _entry.Device, (KernelWorkGroupInfo)0x11B0 /* CL_KERNEL_WORK_GROUP_SIZE */,
                                                         (nuint)sizeof(nuint), &max, null), $"clGetKernelWorkGroupInfo({T.Kernel})");
        k = (kernel, (int)Math.Min((nuint)int.MaxValue, max));
        _kernels[T.Kernel] = k;
        return k;
    }

    /// <summary>The largest work-group launcher <typeparamref name="T"/>'s kernel runs with on this device.</summary>
    private int MaxGroup<T>() where T : unmanaged, IKernelArgs => Kernel<T>().MaxGroup;

    /// <summary>Sets the kernel's arguments from <paramref name="args"/> and enqueues it over global (g0, g1, g2) rounded up to the local size.</summary>
    private void Enqueue<T>(T args, long g0, long g1, long g2, int l0, int l1, int l2) where T : unmanaged, IKernelArgs
    {
        if (g0 <= 0 || g1 <= 0 || g2 <= 0) return;
        var kernel = Kernel<T>().Kernel.Raw;
        var layout = KernelArgLayout<T>.Args;
        byte* p = (byte*)&args;
        for (int i = 0; i < layout.Length; i++)
            OpenClException.Check(_cl.SetKernelArg(kernel, (uint)i, (nuint)layout[i].Size, p + layout[i].Offset), $"clSetKernelArg({T.Kernel}, {layout[i].Name})");
        nuint* global = stackalloc nuint[3] { (nuint)RoundUp(g0, l0), (nuint)RoundUp(g1, l1), (nuint)RoundUp(g2, l2) };
        nuint* local = stackalloc nuint[3] { (nuint)l0, (nuint)l1, (nuint)l2 };
        OpenClException.Check(_cl.EnqueueNdrangeKernel(_queue.Raw, kernel, 3, null, global, local, 0, null, null),
                              $"clEnqueueNDRangeKernel({T.Kernel}, global {global[0]}x{global[1]}x{global[2]}, local {l0}x{l1}x{l2})");
    }

    /// <summary>A 1-D launch over n work-items in groups of the device's element-wise size.</summary>
    private void EnqueueItems<T>(T args, long n) where T : unmanaged, IKernelArgs
        => Enqueue(args, n, 1, 1, Math.Max(1, Math.Min(Tuning.WorkGroup1D, MaxGroup<T>())), 1, 1);

    /// <summary>
    /// A 3-D launch in 16×4 work-groups whatever the sizes: pocl compiles a kernel once per work-group shape, so a
    /// shape that followed the layer's width would recompile for every layer; work-items past the edge return at once.
    /// </summary>
    private void EnqueueRows<T>(T args, long g0, long g1, long g2) where T : unmanaged, IKernelArgs
    {
        int max = MaxGroup<T>(), l0 = Math.Max(1, Math.Min(16, max)), l1 = Math.Max(1, Math.Min(4, max / l0));
        Enqueue(args, g0, g1, g2, l0, l1, 1);
    }

    private float ReadScalar(ClMem mem)
    {
        float value;
        OpenClException.Check(_cl.EnqueueReadBuffer(_queue.Raw, mem.Handle, true, 0, sizeof(float), &value, 0, null, null), "clEnqueueReadBuffer(result)");
        return value;
    }

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;
    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
