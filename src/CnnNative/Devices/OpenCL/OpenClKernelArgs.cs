using System.Reflection;
using System.Runtime.InteropServices;

namespace CnnNative.Devices.OpenCL;

/// <summary>
/// The typed launcher of one kernel: a struct whose fields are the kernel's arguments, in the kernel's order and
/// named as its parameters (case aside), of types int, uint, float or <see cref="ClMem"/>. The device sets the
/// arguments from the fields (<see cref="KernelArgLayout{T}"/>); a test compares every launcher with the argument
/// list the OpenCL compiler reports for its kernel (clGetKernelArgInfo), so a launcher cannot drift from its kernel.
/// </summary>
internal interface IKernelArgs
{
    /// <summary>The kernel's name in the .cl source.</summary>
    static abstract string Kernel { get; }
}

/// <summary>A __global buffer argument (a cl_mem).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct ClMem(nint Handle);

/// <summary>One argument of a launcher: its field's name, type, offset and size.</summary>
internal readonly record struct KernelArg(string Name, Type Type, int Offset, int Size);

/// <summary>The argument list of launcher <typeparamref name="T"/>, read once from its fields.</summary>
internal static class KernelArgLayout<T> where T : unmanaged, IKernelArgs
{
    /// <summary>
    /// The arguments in kernel order. A struct is laid out sequentially, each field at the next multiple of its
    /// alignment; fields come in declaration order (the order reflection reports them in, from metadata), a field
    /// of another struct type contributes that struct's fields in place (kernels that share a signature share a
    /// struct), and the total is checked against the runtime's own size of the struct.
    /// </summary>
    public static readonly KernelArg[] Args = Layout();

    private static KernelArg[] Layout()
    {
        var args = new List<KernelArg>();
        int size = Append(typeof(T), 0, args, out _);
        if (size != System.Runtime.CompilerServices.Unsafe.SizeOf<T>())
            throw new InvalidOperationException($"Kernel launcher {typeof(T).Name}: computed size {size} differs from the runtime's {System.Runtime.CompilerServices.Unsafe.SizeOf<T>()}.");
        return args.ToArray();
    }

    /// <summary>Appends the fields of <paramref name="type"/> placed at <paramref name="at"/>; returns its size.</summary>
    private static int Append(Type type, int at, List<KernelArg> args, out int align)
    {
        int offset = 0;
        align = 1;
        foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            int size, fieldAlign;
            if (f.FieldType == typeof(ClMem)) size = fieldAlign = IntPtr.Size;
            else if (f.FieldType == typeof(int) || f.FieldType == typeof(uint) || f.FieldType == typeof(float)) size = fieldAlign = 4;
            else if (f.FieldType.IsValueType && !f.FieldType.IsPrimitive)
            {
                var nested = new List<KernelArg>();
                size = Append(f.FieldType, 0, nested, out fieldAlign);
                offset = (offset + fieldAlign - 1) / fieldAlign * fieldAlign;
                args.AddRange(nested.Select(a => a with { Offset = a.Offset + at + offset }));
                offset += size;
                align = Math.Max(align, fieldAlign);
                continue;
            }
            else throw new InvalidOperationException($"Kernel launcher {typeof(T).Name}: field {f.Name} is a {f.FieldType.Name}; use int, uint, float, ClMem or a struct of those.");
            offset = (offset + fieldAlign - 1) / fieldAlign * fieldAlign;
            args.Add(new KernelArg(f.Name, f.FieldType, at + offset, size));
            offset += size;
            align = Math.Max(align, fieldAlign);
        }
        return (offset + align - 1) / align * align;
    }
}
