using System.Runtime.CompilerServices;

namespace CnnNative.Devices;

/// <summary>
/// Argument checks every device runs before touching memory, so a wrong size is an exception that names
/// the op and the sizes, never a crash or a silent overrun.
/// </summary>
public static class Checks
{
    /// <summary>Throws unless <paramref name="buffer"/> belongs to <paramref name="device"/>, is alive and holds at least <paramref name="needed"/> elements.</summary>
    public static void Buffer(IDevice device, DeviceBuffer? buffer, long needed, string op,
                              [CallerArgumentExpression(nameof(buffer))] string name = "")
    {
        if (buffer is null) throw new ArgumentNullException(name, $"{op}: buffer '{name}' is null.");
        buffer.ThrowIfDisposed();
        if (!ReferenceEquals(buffer.Device, device))
            throw new ArgumentException($"{op}: buffer '{name}' belongs to device '{buffer.Device.Name}', not '{device.Name}'.", name);
        if (needed > buffer.Length)
            throw new ArgumentException($"{op}: buffer '{name}' holds {buffer.Length} elements but the op needs {needed}.", name);
    }

    /// <summary>Throws unless <paramref name="value"/> is non-negative.</summary>
    public static void NonNegative(long value, string op, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, value, $"{op}: {name} must be non-negative, got {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is positive.</summary>
    public static void Positive(long value, string op, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{op}: {name} must be positive, got {value}.");
    }

    /// <summary>Throws when a host span is shorter than the op needs.</summary>
    public static void Span(int length, long needed, string op, string name)
    {
        if (needed > length) throw new ArgumentException($"{op}: '{name}' holds {length} elements but {needed} are needed.", name);
    }
}
