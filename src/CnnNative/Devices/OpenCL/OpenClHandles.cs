using System.Runtime.InteropServices;

namespace CnnNative.Devices.OpenCL;

/// <summary>
/// An owned OpenCL object: released exactly once by its clRelease* function, on Dispose or, for an object a caller
/// forgot, by the finaliser (OpenCL allows releases from any thread, and every object holds its own reference on
/// the objects it depends on, so the order of releases does not matter).
/// </summary>
internal abstract class ClHandle : SafeHandle
{
    protected ClHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    /// <summary>The raw handle for an API call; valid while the owner keeps this object undisposed.</summary>
    public nint Raw => handle;

    protected override bool ReleaseHandle() => OpenClPlatforms.Api is { } cl && Release(cl, handle) == 0;

    /// <summary>Calls the object's clRelease* function.</summary>
    protected abstract int Release(Silk.NET.OpenCL.CL cl, nint h);
}

/// <summary>A cl_mem.</summary>
internal sealed class ClMemHandle(nint h) : ClHandle(h)
{
    protected override int Release(Silk.NET.OpenCL.CL cl, nint h) => cl.ReleaseMemObject(h);
}

/// <summary>A cl_program.</summary>
internal sealed class ClProgramHandle(nint h) : ClHandle(h)
{
    protected override int Release(Silk.NET.OpenCL.CL cl, nint h) => cl.ReleaseProgram(h);
}

/// <summary>A cl_kernel.</summary>
internal sealed class ClKernelHandle(nint h) : ClHandle(h)
{
    protected override int Release(Silk.NET.OpenCL.CL cl, nint h) => cl.ReleaseKernel(h);
}

/// <summary>A cl_command_queue.</summary>
internal sealed class ClQueueHandle(nint h) : ClHandle(h)
{
    protected override int Release(Silk.NET.OpenCL.CL cl, nint h) => cl.ReleaseCommandQueue(h);
}

/// <summary>A cl_context.</summary>
internal sealed class ClContextHandle(nint h) : ClHandle(h)
{
    protected override int Release(Silk.NET.OpenCL.CL cl, nint h) => cl.ReleaseContext(h);
}
