namespace CnnNative.Devices.Native;

/// <summary>Turns libcnnnative's status codes into the exceptions the <see cref="IDevice"/> contract promises, in one place.</summary>
internal static class NativeStatus
{
    /// <summary>Throws for a non-zero status of the call that implements <paramref name="op"/>; successful calls allocate nothing.</summary>
    public static void Check(int status, string op)
    {
        if (status != NativeMethods.Ok) throw ToException(status, op);
    }

    /// <summary>
    /// The exception for a failed call. <see cref="DeviceBase"/> validates every argument before a call reaches the
    /// library, which checks them again; so a size or buffer error here means the C# and C sides disagree about the
    /// contract, and the message says so.
    /// </summary>
    public static Exception ToException(int status, string op)
    {
        string where = $"{op}: libcnnnative returned {Name(status)} ({status})";
        const string disagree = "although the call passed the device's own checks (the C# and C sides disagree)";
        return status switch
        {
            NativeMethods.BufferTooSmall => new ArgumentException($"{where}: a buffer is shorter than the op needs, {disagree}."),
            NativeMethods.NullPointer => new ArgumentNullException(null, $"{where}: a required pointer is null, {disagree}."),
            NativeMethods.InvalidSize => new ArgumentOutOfRangeException(null, $"{where}: the sizes are negative, zero or inconsistent, {disagree}."),
            NativeMethods.InvalidArgument => new ArgumentOutOfRangeException(null, $"{where}: an argument is out of range, {disagree}."),
            NativeMethods.OutOfMemory => new InsufficientMemoryException($"{where}: the native device could not allocate its workspace."),
            NativeMethods.UnsupportedCpu => new PlatformNotSupportedException($"{where}: this processor lacks AVX2/FMA."),
            _ => new InvalidOperationException($"{where}: an unknown status."),
        };
    }

    /// <summary>The status code's name as cnn_native.h spells it.</summary>
    public static string Name(int status) => status switch
    {
        NativeMethods.Ok => "CNN_OK",
        NativeMethods.NullPointer => "CNN_E_NULL_POINTER",
        NativeMethods.InvalidSize => "CNN_E_INVALID_SIZE",
        NativeMethods.BufferTooSmall => "CNN_E_BUFFER_TOO_SMALL",
        NativeMethods.UnsupportedCpu => "CNN_E_UNSUPPORTED_CPU",
        NativeMethods.OutOfMemory => "CNN_E_OUT_OF_MEMORY",
        NativeMethods.InvalidArgument => "CNN_E_INVALID_ARGUMENT",
        _ => "an unknown status",
    };
}
