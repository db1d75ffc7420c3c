using System.Text;
using CnnNative.Devices.OpenCL;
using Silk.NET.OpenCL;

namespace CnnNative.Tests.Devices.OpenCL;

/// <summary>What the OpenCL compiler reports about a device's program (built with -cl-kernel-arg-info).</summary>
internal static unsafe class OpenClProgramInfo
{
    /// <summary>Every kernel of the program (CL_PROGRAM_KERNEL_NAMES).</summary>
    public static IReadOnlyList<string> KernelNames(OpenClDevice device)
    {
        var cl = device.Context.Cl;
        nuint size = 0;
        OpenClException.Check(cl.GetProgramInfo(device.Program.Raw, (ProgramInfo)0x1168, 0, null, &size), "clGetProgramInfo(KERNEL_NAMES)");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
            OpenClException.Check(cl.GetProgramInfo(device.Program.Raw, (ProgramInfo)0x1168, size, b, null), "clGetProgramInfo(KERNEL_NAMES)");
        return Encoding.ASCII.GetString(bytes).TrimEnd('\0').Split(';', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>A kernel's parameters (clGetKernelArgInfo): each one's name and type name ("int", "uint", "float", "float*").</summary>
    public static IReadOnlyList<(string Name, string Type)> KernelArguments(OpenClDevice device, string kernel)
    {
        var cl = device.Context.Cl;
        int err;
        using var k = new ClKernelHandle(cl.CreateKernel(device.Program.Raw, kernel, &err));
        OpenClException.Check(err, $"clCreateKernel({kernel})");
        uint count;
        OpenClException.Check(cl.GetKernelInfo(k.Raw, (KernelInfo)0x1191 /* CL_KERNEL_NUM_ARGS */, sizeof(uint), &count, null), "clGetKernelInfo(NUM_ARGS)");
        var result = new List<(string, string)>();
        for (uint i = 0; i < count; i++)
            result.Add((ArgInfo(cl, k.Raw, i, 0x119A /* CL_KERNEL_ARG_NAME */), ArgInfo(cl, k.Raw, i, 0x1198 /* CL_KERNEL_ARG_TYPE_NAME */)));
        return result;
    }

    private static string ArgInfo(CL cl, nint kernel, uint index, uint param)
    {
        nuint size = 0;
        OpenClException.Check(cl.GetKernelArgInfo(kernel, index, (KernelArgInfo)param, 0, null, &size), "clGetKernelArgInfo");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
            OpenClException.Check(cl.GetKernelArgInfo(kernel, index, (KernelArgInfo)param, size, b, null), "clGetKernelArgInfo");
        return Encoding.ASCII.GetString(bytes).TrimEnd('\0');
    }
}
