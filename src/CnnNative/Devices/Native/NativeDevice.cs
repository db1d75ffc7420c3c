using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace CnnNative.Devices.Native;

/// <summary>
/// The "native" device: every op runs in libcnnnative (native/, C with AVX2+FMA and OpenMP). Buffers are the host's
/// own <see cref="HostBuffer"/>s, passed to C as pointers with their capacities; the library checks every length
/// itself and its status codes become exceptions naming the op and the sizes. No call copies or allocates.
/// </summary>
/// <remarks>
/// One native context per device owns the thread count and the reusable workspaces. Calls on one device are
/// serialised (a lock) because they share those workspaces; use one device per thread for parallel work.
/// </remarks>
public sealed unsafe class NativeDevice : HostDevice, IDevice
{
    private readonly ContextHandle _context;
    private readonly Lock _gate = new();

    private NativeDevice(ContextHandle context, int threads, NativeLibraryLoader.Loaded library) : base("native")
    {
        _context = context;
        Info = new DeviceInfo("native", "native",
            $"libcnnnative {library.Major}.{library.Minor} (C, AVX2+FMA, OpenMP) on {Environment.ProcessorCount} processors",
            threads, 0,
            new Dictionary<string, string>
            {
                ["library"] = library.Path,
                ["abi"] = $"{library.Major}.{library.Minor}",
                ["isa"] = Avx512F.IsSupported ? "AVX2+FMA (AVX-512 present, not used)" : "AVX2+FMA",
                ["threads"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
    }

    /// <summary>
    /// Opens the native device with <paramref name="threads"/> threads (0: every processor). Throws
    /// <see cref="DeviceNotFoundException"/> when the processor lacks AVX2/FMA or the library is missing or of
    /// another ABI version.
    /// </summary>
    public static NativeDevice Create(int threads = 0)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "The native device's thread count must be 0 (all cores) or positive.");
        if (!Avx2.IsSupported || !Fma.IsSupported)
            throw new DeviceNotFoundException(
                $"The native device needs a processor with AVX2 and FMA; this one has AVX2={Avx2.IsSupported}, FMA={Fma.IsSupported}. Use the \"cpu\" or \"reference\" device.");
        var library = NativeLibraryLoader.Load();
        nint raw;
        int status = NativeMethods.ContextCreate(threads, &raw);
        if (status == NativeMethods.UnsupportedCpu)
            throw new DeviceNotFoundException("libcnnnative reports that this processor lacks AVX2/FMA; use the \"cpu\" or \"reference\" device.");
        if (status != NativeMethods.Ok) throw NativeStatus.ToException(status, "Create", $"threads={threads}", "none");
        var handle = new ContextHandle(raw);
        int actual;
        NativeMethods.ContextThreads(raw, &actual);
        return new NativeDevice(handle, actual, library);
    }

    public DeviceInfo Info { get; }

    public override void Dispose()
    {
        lock (_gate)
        {
            base.Dispose();
            _context.Dispose();
        }
    }

    // ------------------------------------------------------------------------------------ plumbing

    /// <summary>The context pointer; call inside the lock so that Dispose cannot free it meanwhile.</summary>
    private nint Ctx
    {
        get
        {
            ThrowIfDisposed();
            return _context.DangerousGetHandle();
        }
    }

    /// <summary>Checks a buffer is non-null, alive and this device's; lengths are the library's to check.</summary>
    private HostBuffer Buf(DeviceBuffer buffer, string op, [CallerArgumentExpression(nameof(buffer))] string name = "")
    {
        Checks.Buffer(this, buffer, 0, op, name);
        return (HostBuffer)buffer;
    }

    /// <summary>Pointer and capacity of an optional buffer (NULL and 0 when absent).</summary>
    private (nint Pointer, long Length) Optional(DeviceBuffer? buffer, string op, [CallerArgumentExpression(nameof(buffer))] string name = "")
    {
        if (buffer is null) return (0, 0);
        var b = Buf(buffer, op, name);
        return ((nint)b.Pointer, b.Length);
    }

    /// <summary>"x=12, y=10" for the error message; built only when a call failed.</summary>
    private static string Lengths(params (string Name, DeviceBuffer? Buffer)[] buffers)
        => string.Join(", ", buffers.Select(b => $"{b.Name}={(b.Buffer is null ? "null" : b.Buffer.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))}"));

    // ---------------------------------------------------------------------------------- element-wise

    public void Fill(DeviceBuffer x, int length, float value)
    {
        var bx = Buf(x, nameof(Fill));
        int st;
        lock (_gate) st = NativeMethods.Fill(Ctx, length, value, bx.Pointer, bx.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(Fill), $"length={length}", Lengths((nameof(x), x)));
    }

    public void Copy(DeviceBuffer source, DeviceBuffer destination, int length)
    {
        var bs = Buf(source, nameof(Copy));
        var bd = Buf(destination, nameof(Copy));
        int st;
        lock (_gate) st = NativeMethods.Copy(Ctx, length, bs.Pointer, bs.Length, bd.Pointer, bd.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(Copy), $"length={length}", Lengths((nameof(source), source), (nameof(destination), destination)));
    }

    public void Axpy(int length, float alpha, DeviceBuffer x, DeviceBuffer y)
    {
        var bx = Buf(x, nameof(Axpy));
        var by = Buf(y, nameof(Axpy));
        int st;
        lock (_gate) st = NativeMethods.Axpy(Ctx, length, alpha, bx.Pointer, bx.Length, by.Pointer, by.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(Axpy), $"length={length}", Lengths((nameof(x), x), (nameof(y), y)));
    }

    public void Scale(int length, float alpha, DeviceBuffer x)
    {
        var bx = Buf(x, nameof(Scale));
        int st;
        lock (_gate) st = NativeMethods.Scale(Ctx, length, alpha, bx.Pointer, bx.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(Scale), $"length={length}", Lengths((nameof(x), x)));
    }

    public void Multiply(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y)
    {
        var ba = Buf(a, nameof(Multiply));
        var bb = Buf(b, nameof(Multiply));
        var by = Buf(y, nameof(Multiply));
        int st;
        lock (_gate) st = NativeMethods.Multiply(Ctx, length, ba.Pointer, ba.Length, bb.Pointer, bb.Length, by.Pointer, by.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(Multiply), $"length={length}", Lengths((nameof(a), a), (nameof(b), b), (nameof(y), y)));
    }

    public void ActivationForward(Activation f, int length, DeviceBuffer x, DeviceBuffer y)
    {
        var bx = Buf(x, nameof(ActivationForward));
        var by = Buf(y, nameof(ActivationForward));
        int st;
        lock (_gate) st = NativeMethods.ActivationForward(Ctx, (int)f, length, bx.Pointer, bx.Length, by.Pointer, by.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(ActivationForward), $"{f}, length={length}", Lengths((nameof(x), x), (nameof(y), y)));
    }

    public void ActivationBackward(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        var by = Buf(y, nameof(ActivationBackward));
        var bdy = Buf(dy, nameof(ActivationBackward));
        var bdx = Buf(dx, nameof(ActivationBackward));
        int st;
        lock (_gate) st = NativeMethods.ActivationBackward(Ctx, (int)f, length, by.Pointer, by.Length, bdy.Pointer, bdy.Length, bdx.Pointer, bdx.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(ActivationBackward), $"{f}, length={length}", Lengths((nameof(y), y), (nameof(dy), dy), (nameof(dx), dx)));
    }

    public void DropoutForward(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask)
    {
        var bx = Buf(x, nameof(DropoutForward));
        var by = Buf(y, nameof(DropoutForward));
        var bm = Buf(mask, nameof(DropoutForward));
        int st;
        lock (_gate) st = NativeMethods.DropoutForward(Ctx, length, rate, seed, bx.Pointer, bx.Length, by.Pointer, by.Length, bm.Pointer, bm.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(DropoutForward), $"length={length}, rate={rate} (must be in [0, 1))", Lengths((nameof(x), x), (nameof(y), y), (nameof(mask), mask)));
    }

    // ----------------------------------------------------------------------------------------- dense

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
    {
        var ba = Buf(a, nameof(Gemm));
        var bb = Buf(b, nameof(Gemm));
        var bc = Buf(c, nameof(Gemm));
        int st;
        lock (_gate) st = NativeMethods.Gemm(Ctx, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, ba.Pointer, ba.Length, bb.Pointer, bb.Length, beta, bc.Pointer, bc.Length);
        if (st != 0)
            throw NativeStatus.ToException(st, nameof(Gemm), $"transA={transA}, transB={transB}, m={m}, n={n}, k={k}; needs a={(long)m * k}, b={(long)k * n}, c={(long)m * n}",
                                           Lengths((nameof(a), a), (nameof(b), b), (nameof(c), c)));
    }

    public void AddBiasRows(int rows, int cols, DeviceBuffer bias, DeviceBuffer y)
    {
        var bb = Buf(bias, nameof(AddBiasRows));
        var by = Buf(y, nameof(AddBiasRows));
        int st;
        lock (_gate) st = NativeMethods.AddBiasRows(Ctx, rows, cols, bb.Pointer, bb.Length, by.Pointer, by.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(AddBiasRows), $"rows={rows}, cols={cols}", Lengths((nameof(bias), bias), (nameof(y), y)));
    }

    public void SumRows(int rows, int cols, DeviceBuffer x, DeviceBuffer sums)
    {
        var bx = Buf(x, nameof(SumRows));
        var bs = Buf(sums, nameof(SumRows));
        int st;
        lock (_gate) st = NativeMethods.SumRows(Ctx, rows, cols, bx.Pointer, bx.Length, bs.Pointer, bs.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(SumRows), $"rows={rows}, cols={cols}", Lengths((nameof(x), x), (nameof(sums), sums)));
    }

    // ----------------------------------------------------------------------------------- convolution

    private static string Describe(in Conv2dGeometry g)
        => $"{g}; needs x={g.InputLength}, w={g.FilterLength}, bias={g.K}, y={g.OutputLength}";

    public void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y)
    {
        var bx = Buf(x, nameof(Conv2dForward));
        var bw = Buf(w, nameof(Conv2dForward));
        var bb = Optional(bias, nameof(Conv2dForward));
        var by = Buf(y, nameof(Conv2dForward));
        var ng = new NativeMethods.Conv2dGeometry(g);
        int st;
        lock (_gate) st = NativeMethods.Conv2dForward(Ctx, &ng, bx.Pointer, bx.Length, bw.Pointer, bw.Length, (float*)bb.Pointer, bb.Length, by.Pointer, by.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(Conv2dForward), Describe(g), Lengths((nameof(x), x), (nameof(w), w), (nameof(bias), bias), (nameof(y), y)));
    }

    public void Conv2dBackwardData(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        var bdy = Buf(dy, nameof(Conv2dBackwardData));
        var bw = Buf(w, nameof(Conv2dBackwardData));
        var bdx = Buf(dx, nameof(Conv2dBackwardData));
        var ng = new NativeMethods.Conv2dGeometry(g);
        int st;
        lock (_gate) st = NativeMethods.Conv2dBackwardData(Ctx, &ng, bdy.Pointer, bdy.Length, bw.Pointer, bw.Length, bdx.Pointer, bdx.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(Conv2dBackwardData), Describe(g), Lengths((nameof(dy), dy), (nameof(w), w), (nameof(dx), dx)));
    }

    public void Conv2dBackwardFilter(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        var bx = Buf(x, nameof(Conv2dBackwardFilter));
        var bdy = Buf(dy, nameof(Conv2dBackwardFilter));
        var bdw = Buf(dw, nameof(Conv2dBackwardFilter));
        var bdb = Optional(db, nameof(Conv2dBackwardFilter));
        var ng = new NativeMethods.Conv2dGeometry(g);
        int st;
        lock (_gate) st = NativeMethods.Conv2dBackwardFilter(Ctx, &ng, bx.Pointer, bx.Length, bdy.Pointer, bdy.Length, bdw.Pointer, bdw.Length, (float*)bdb.Pointer, bdb.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(Conv2dBackwardFilter), Describe(g), Lengths((nameof(x), x), (nameof(dy), dy), (nameof(dw), dw), (nameof(db), db)));
    }

    // --------------------------------------------------------------------------------------- pooling

    public void Pool2dForward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y)
    {
        var bx = Buf(x, nameof(Pool2dForward));
        var by = Buf(y, nameof(Pool2dForward));
        var ng = new NativeMethods.Pool2dGeometry(g);
        int st;
        lock (_gate) st = NativeMethods.Pool2dForward(Ctx, &ng, (int)mode, bx.Pointer, bx.Length, by.Pointer, by.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(Pool2dForward), $"{mode}, {g}; needs x={g.InputLength}, y={g.OutputLength}", Lengths((nameof(x), x), (nameof(y), y)));
    }

    public void Pool2dBackward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
    {
        var bx = Buf(x, nameof(Pool2dBackward));
        var bdy = Buf(dy, nameof(Pool2dBackward));
        var bdx = Buf(dx, nameof(Pool2dBackward));
        var ng = new NativeMethods.Pool2dGeometry(g);
        int st;
        lock (_gate) st = NativeMethods.Pool2dBackward(Ctx, &ng, (int)mode, bx.Pointer, bx.Length, bdy.Pointer, bdy.Length, bdx.Pointer, bdx.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(Pool2dBackward), $"{mode}, {g}; needs x={g.InputLength}, dy={g.OutputLength}, dx={g.InputLength}", Lengths((nameof(x), x), (nameof(dy), dy), (nameof(dx), dx)));
    }

    // ---------------------------------------------------------------------------- softmax and losses

    public void SoftmaxForward(int rows, int cols, DeviceBuffer x, DeviceBuffer y)
    {
        var bx = Buf(x, nameof(SoftmaxForward));
        var by = Buf(y, nameof(SoftmaxForward));
        int st;
        lock (_gate) st = NativeMethods.SoftmaxForward(Ctx, rows, cols, bx.Pointer, bx.Length, by.Pointer, by.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(SoftmaxForward), $"rows={rows}, cols={cols}", Lengths((nameof(x), x), (nameof(y), y)));
    }

    public void SoftmaxBackward(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        var by = Buf(y, nameof(SoftmaxBackward));
        var bdy = Buf(dy, nameof(SoftmaxBackward));
        var bdx = Buf(dx, nameof(SoftmaxBackward));
        int st;
        lock (_gate) st = NativeMethods.SoftmaxBackward(Ctx, rows, cols, by.Pointer, by.Length, bdy.Pointer, bdy.Length, bdx.Pointer, bdx.Length);
        if (st != 0) throw NativeStatus.ToException(st, nameof(SoftmaxBackward), $"rows={rows}, cols={cols}", Lengths((nameof(y), y), (nameof(dy), dy), (nameof(dx), dx)));
    }

    public float SoftmaxCrossEntropy(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale)
    {
        var bl = Buf(logits, nameof(SoftmaxCrossEntropy));
        var bt = Buf(targets, nameof(SoftmaxCrossEntropy));
        var bg = Buf(gradient, nameof(SoftmaxCrossEntropy));
        float loss;
        int st;
        lock (_gate) st = NativeMethods.SoftmaxCrossEntropy(Ctx, rows, cols, bl.Pointer, bl.Length, bt.Pointer, bt.Length, bg.Pointer, bg.Length, gradScale, &loss);
        if (st != 0) throw NativeStatus.ToException(st, nameof(SoftmaxCrossEntropy), $"rows={rows}, cols={cols}", Lengths((nameof(logits), logits), (nameof(targets), targets), (nameof(gradient), gradient)));
        return loss;
    }

    public float SquaredError(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale)
    {
        var bp = Buf(prediction, nameof(SquaredError));
        var bt = Buf(target, nameof(SquaredError));
        var bg = Buf(gradient, nameof(SquaredError));
        float loss;
        int st;
        lock (_gate) st = NativeMethods.SquaredError(Ctx, length, bp.Pointer, bp.Length, bt.Pointer, bt.Length, bg.Pointer, bg.Length, gradScale, &loss);
        if (st != 0) throw NativeStatus.ToException(st, nameof(SquaredError), $"length={length}", Lengths((nameof(prediction), prediction), (nameof(target), target), (nameof(gradient), gradient)));
        return loss;
    }

    public int CountCorrect(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets)
    {
        var bs = Buf(scores, nameof(CountCorrect));
        var bt = Buf(targets, nameof(CountCorrect));
        int correct, st;
        lock (_gate) st = NativeMethods.CountCorrect(Ctx, rows, cols, bs.Pointer, bs.Length, bt.Pointer, bt.Length, &correct);
        if (st != 0) throw NativeStatus.ToException(st, nameof(CountCorrect), $"rows={rows}, cols={cols}", Lengths((nameof(scores), scores), (nameof(targets), targets)));
        return correct;
    }

    // ------------------------------------------------------------------------------------ optimizers

    public void SgdStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                        float lr, float momentum, float weightDecay, bool nesterov)
    {
        var bp = Buf(param, nameof(SgdStep));
        var bg = Buf(grad, nameof(SgdStep));
        // With momentum 0 the velocity is neither read nor checked, as in the reference.
        var bv = momentum != 0 ? Optional(velocity, nameof(SgdStep)) : (0, 0);
        int st;
        lock (_gate) st = NativeMethods.SgdStep(Ctx, length, bp.Pointer, bp.Length, bg.Pointer, bg.Length, (float*)bv.Pointer, bv.Length, lr, momentum, weightDecay, nesterov ? 1 : 0);
        if (st != 0) throw NativeStatus.ToException(st, nameof(SgdStep), $"length={length}, momentum={momentum}", Lengths((nameof(param), param), (nameof(grad), grad), (nameof(velocity), velocity)));
    }

    public void AdamStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                         float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        var bp = Buf(param, nameof(AdamStep));
        var bg = Buf(grad, nameof(AdamStep));
        var bm = Buf(m, nameof(AdamStep));
        var bv = Buf(v, nameof(AdamStep));
        int st;
        lock (_gate) st = NativeMethods.AdamStep(Ctx, length, bp.Pointer, bp.Length, bg.Pointer, bg.Length, bm.Pointer, bm.Length, bv.Pointer, bv.Length, lr, beta1, beta2, eps, weightDecay, step);
        if (st != 0) throw NativeStatus.ToException(st, nameof(AdamStep), $"length={length}, step={step} (must be >= 1)", Lengths((nameof(param), param), (nameof(grad), grad), (nameof(m), m), (nameof(v), v)));
    }

    /// <summary>Owns the native context so that it is freed even when a device is never disposed.</summary>
    private sealed class ContextHandle : SafeHandle
    {
        public ContextHandle(nint context) : base(0, ownsHandle: true) => SetHandle(context);

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle() => NativeMethods.ContextDestroy(handle) == NativeMethods.Ok;
    }
}
