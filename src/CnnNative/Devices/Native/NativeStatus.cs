namespace CnnNative.Devices.Native;

/// <summary>Turns libcnnnative's status codes into the exceptions the <see cref="IDevice"/> contract promises.</summary>
internal static class NativeStatus
{
    /// <summary>
    /// Throws for a non-zero status, naming the op and the sizes involved. <paramref name="sizes"/> and
    /// <paramref name="buffers"/> are built only on this (failing) path, so successful calls allocate nothing.
    /// </summary>
    public static Exception ToException(int status, string op, string sizes, string buffers)
    {
        string where = $"{op}({sizes})";
        return status switch
        {
            NativeMethods.BufferTooSmall => new ArgumentException($"{where}: a buffer is shorter than the op needs; buffers: {buffers}."),
            NativeMethods.NullPointer => new ArgumentNullException(null, $"{where}: a required buffer is null; buffers: {buffers}."),
            NativeMethods.InvalidSize => new ArgumentOutOfRangeException(null, $"{where}: the sizes are negative, zero or inconsistent."),
            NativeMethods.InvalidArgument => new ArgumentOutOfRangeException(null, $"{where}: an argument is out of range."),
            NativeMethods.OutOfMemory => new InsufficientMemoryException($"{where}: the native device could not allocate its workspace."),
            NativeMethods.UnsupportedCpu => new PlatformNotSupportedException($"{where}: this processor lacks AVX2/FMA."),
            _ => new InvalidOperationException($"{where}: libcnnnative returned unknown status {status}."),
        };
    }
}
