using System.Runtime.CompilerServices;

namespace CnnNative.Devices;

/// <summary>
/// One op call as <see cref="DeviceBase"/> checks it: created once the sizes are known to be non-negative, it holds
/// the device's op lock until disposed (<c>using var op = OpCheck.Length(…)</c>), and checks the rest under it: the
/// device not disposed, enum values, scalars, and every buffer (non-null, alive, owned by this device, long enough).
/// Failures name the op, the argument and the sizes involved; messages are built only when a check fails, so a valid
/// call allocates nothing.
/// </summary>
internal ref struct OpCheck
{
    private Lock.Scope _lock;
    private readonly DeviceBase _device;
    private readonly string _op;
    private readonly Conv2dGeometry _conv;
    private readonly Pool2dGeometry _pool;
    private readonly long _a, _b, _c;
    private readonly string? _sizeName;
    private readonly Shape _shape;

    private enum Shape { Length, Matrix, Gemm, Conv, Pool, Channels }

    private OpCheck(DeviceBase device, string op, Shape shape, long a = 0, long b = 0, long c = 0,
                    scoped in Conv2dGeometry conv = default, scoped in Pool2dGeometry pool = default, string? sizeName = null)
    {
        (_device, _op, _shape, _a, _b, _c, _conv, _pool, _sizeName) = (device, op, shape, a, b, c, conv, pool, sizeName);
        _lock = device.Gate.EnterScope();
        try { device.ThrowIfDisposed(op); }
        catch { _lock.Dispose(); throw; }
    }

    /// <summary>Leaves the device's op lock.</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>A call without sizes (Synchronize).</summary>
    public static OpCheck Call(DeviceBase d, string op) => new(d, op, Shape.Length, sizeName: "");

    /// <summary>An op over <paramref name="length"/> elements (checked non-negative).</summary>
    public static OpCheck Length(DeviceBase d, string op, long length, [CallerArgumentExpression(nameof(length))] string name = "")
    {
        Size(op, length, name);
        return new OpCheck(d, op, Shape.Length, length, sizeName: name);
    }

    /// <summary>An op over a rows × cols matrix (both checked non-negative).</summary>
    public static OpCheck Matrix(DeviceBase d, string op, int rows, int cols)
    {
        Size(op, rows, nameof(rows));
        Size(op, cols, nameof(cols));
        return new OpCheck(d, op, Shape.Matrix, rows, cols);
    }

    /// <summary>A GEMM of m × n × k (all checked non-negative).</summary>
    public static OpCheck Gemm(DeviceBase d, string op, int m, int n, int k)
    {
        Size(op, m, nameof(m));
        Size(op, n, nameof(n));
        Size(op, k, nameof(k));
        return new OpCheck(d, op, Shape.Gemm, m, n, k);
    }

    /// <summary>A per-channel op over x viewed as (n, channels, spatial) (all checked non-negative).</summary>
    public static OpCheck Channels(DeviceBase d, string op, int n, int channels, int spatial)
    {
        Size(op, n, nameof(n));
        Size(op, channels, nameof(channels));
        Size(op, spatial, nameof(spatial));
        return new OpCheck(d, op, Shape.Channels, n, channels, spatial);
    }

    /// <summary>A convolution; the geometry validated itself when it was constructed, unless it is default.</summary>
    public static OpCheck Conv(DeviceBase d, string op, in Conv2dGeometry g)
    {
        if (g.N <= 0) throw new ArgumentException($"{op}: the Conv2dGeometry is default (all zero); construct it with its sizes.", nameof(g));
        return new OpCheck(d, op, Shape.Conv, conv: g);
    }

    /// <summary>A pooling; the geometry validated itself when it was constructed, unless it is default.</summary>
    public static OpCheck Pool(DeviceBase d, string op, in Pool2dGeometry g)
    {
        if (g.N <= 0) throw new ArgumentException($"{op}: the Pool2dGeometry is default (all zero); construct it with its sizes.", nameof(g));
        return new OpCheck(d, op, Shape.Pool, pool: g);
    }

    private static void Size(string op, long value, string name)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, value, $"{op}: {name} must be non-negative, got {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is one of <typeparamref name="T"/>'s named values.</summary>
    public readonly void Defined<T>(T value, [CallerArgumentExpression(nameof(value))] string name = "") where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw new ArgumentOutOfRangeException(name, value, $"{_op}: {name} = {value} is not a {typeof(T).Name} value ({string.Join(", ", Enum.GetNames<T>())}).");
    }

    /// <summary>Throws unless <paramref name="ok"/>, with <paramref name="rule"/> saying what the argument must be.</summary>
    public readonly void Argument(bool ok, double value, string rule, string name)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{_op}: {name} must be {rule}, got {value}.");
    }

    /// <summary>
    /// Throws unless <paramref name="buffer"/> is non-null, not disposed, owned by this device and holds at least
    /// <paramref name="needed"/> elements; then counts the op as a write of it (<see cref="DeviceBuffer.Version"/>):
    /// every buffer an op takes is taken as written unless the op names it an <see cref="Input"/>.
    /// </summary>
    public readonly void Buffer(DeviceBuffer? buffer, long needed, [CallerArgumentExpression(nameof(buffer))] string name = "")
    {
        Input(buffer, needed, name: name);
        buffer!.Touch();
    }

    /// <summary>
    /// <see cref="Buffer"/> for a buffer the op only reads: its version stays. A buffer the device keeps in a layout
    /// of its own is put back in NCHW first, unless <paramref name="anyLayout"/> (the op reads the device's layouts).
    /// </summary>
    public readonly void Input(DeviceBuffer? buffer, long needed, bool anyLayout = false, [CallerArgumentExpression(nameof(buffer))] string name = "")
    {
        Check(buffer, needed, name);
        if (buffer!.Layout != PhysicalLayout.Logical && !anyLayout) _device.RestoreLogical(buffer);
    }

    /// <summary>
    /// <see cref="Buffer"/> for an op's output, which the op overwrites: a buffer in a layout of the device's own
    /// whose tensor lies within the <paramref name="needed"/> elements is simply taken as NCHW (the op may mark it
    /// again); one holding more than the op writes is put back in NCHW first, so the elements past stay as they were.
    /// </summary>
    public readonly void Output(DeviceBuffer? buffer, long needed, [CallerArgumentExpression(nameof(buffer))] string name = "")
    {
        Check(buffer, needed, name);
        buffer!.Touch();
        if (buffer.Layout == PhysicalLayout.Logical) return;
        if (buffer.Blocks.Floats <= needed) buffer.MarkLogical();
        else _device.RestoreLogical(buffer);
    }

    private readonly void Check(DeviceBuffer? buffer, long needed, string name)
    {
        if (buffer is null) throw new ArgumentNullException(name, $"{_op}: buffer '{name}' is null.");
        if (buffer.IsDisposed) ThrowDisposed(buffer, name);
        if (!ReferenceEquals(buffer.Owner, _device) && !ReferenceEquals(buffer.Owner.Home, _device.Home)) ThrowForeign(buffer, name);
        if (needed > buffer.Length)
            throw new ArgumentException($"{_op}({Describe()}): buffer '{name}' holds {buffer.Length} elements but the op needs {needed}.", name);
    }

    /// <summary>Two buffers that need the same length (names taken from the arguments).</summary>
    public readonly void Buffers(long needed, DeviceBuffer? a, DeviceBuffer? b,
                                 [CallerArgumentExpression(nameof(a))] string aName = "", [CallerArgumentExpression(nameof(b))] string bName = "")
    {
        Buffer(a, needed, aName);
        Buffer(b, needed, bName);
    }

    /// <summary>Three buffers that need the same length (names taken from the arguments).</summary>
    public readonly void Buffers(long needed, DeviceBuffer? a, DeviceBuffer? b, DeviceBuffer? c, [CallerArgumentExpression(nameof(a))] string aName = "",
                                 [CallerArgumentExpression(nameof(b))] string bName = "", [CallerArgumentExpression(nameof(c))] string cName = "")
    {
        Buffer(a, needed, aName);
        Buffer(b, needed, bName);
        Buffer(c, needed, cName);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowDisposed(DeviceBuffer buffer, string name)
        => throw new ObjectDisposedException(buffer.GetType().Name, $"{_op}: buffer '{name}': {buffer.DisposedReason}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowForeign(DeviceBuffer buffer, string name)
    {
        string other = buffer.Owner.Name == _device.Name ? $"another '{buffer.Owner.Name}' device instance" : $"device '{buffer.Owner.Name}'";
        throw new ArgumentException($"{_op}: buffer '{name}' belongs to {other}, not to this device '{_device.Name}'; " +
                                    "copy it through the host (Download, then Upload) to use it here.", name);
    }

    private readonly string Describe() => _shape switch
    {
        Shape.Length => $"{_sizeName}={_a}",
        Shape.Matrix => $"rows={_a}, cols={_b}",
        Shape.Gemm => $"m={_a}, n={_b}, k={_c}",
        Shape.Conv => _conv.ToString(),
        Shape.Channels => $"n={_a}, channels={_b}, spatial={_c}",
        _ => _pool.ToString(),
    };
}
