using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace CnnNative.Devices.Native;

/// <summary>
/// The "native" device: every op runs in libcnnnative (native/, C with AVX2+FMA, GEMM and convolution kernels in
/// AVX-512F where the processor has it (<see cref="NativeIsa"/>), and its own worker threads; one C file per op family,
/// native/src/&lt;family&gt;.c). Buffers are the host's own <see cref="HostBuffer"/>s, passed to C as pointers with their
/// capacities. <see cref="DeviceBase"/> validates every call first; the library checks again, and any status it
/// returns becomes an exception in one place (<see cref="NativeStatus"/>). No call copies or allocates.
/// </summary>
/// <remarks>
/// One native context per device owns the thread count and the reusable workspaces; <see cref="DeviceBase"/>'s op
/// lock keeps two calls from sharing them, and keeps Dispose from freeing the context under a running call.
/// </remarks>
internal sealed unsafe class NativeDevice : HostDeviceBase
{
    private readonly ContextHandle _context;

    private NativeDevice(string name, ContextHandle context, int threads, NativeIsa isa, NativeIsa requested, NativeLibraryLoader.Loaded library)
        : base(name)
    {
        _context = context;
        Isa = isa;
        string isaText = DescribeIsa(isa, requested == NativeIsa.Avx2 && IsSupported(NativeIsa.Avx512));
        Info = new DeviceInfo(name, "native",
            $"libcnnnative {library.Major}.{library.Minor} (C, {isaText}, worker threads) on {Environment.ProcessorCount} processors",
            threads, 0,
            new Dictionary<string, string>
            {
                ["library"] = library.Path,
                ["abi"] = $"{library.Major}.{library.Minor}",
                ["isa"] = isaText,
                ["threads"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
    }

    /// <summary>
    /// Opens the native device with <paramref name="threads"/> threads (0: every processor) and the instruction set
    /// <paramref name="isa"/> for its GEMM and convolution kernels (the widest the processor runs unless forced).
    /// Throws <see cref="DeviceNotFoundException"/> when the processor lacks AVX2/FMA (or the forced set), or the
    /// library is missing or of another ABI version.
    /// </summary>
    public static NativeDevice Create(int threads = 0, NativeIsa isa = NativeIsa.Auto)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "The native device's thread count must be 0 (all cores) or positive.");
        if (!Enum.IsDefined(isa)) throw new ArgumentOutOfRangeException(nameof(isa), isa, "Unknown instruction set for the native device.");
        if (!Avx2.IsSupported || !Fma.IsSupported)
            throw new DeviceNotFoundException(
                $"The native device needs a processor with AVX2 and FMA; this one has AVX2={Avx2.IsSupported}, FMA={Fma.IsSupported}. Use the \"cpu\" or \"reference\" device.");
        var library = NativeLibraryLoader.Load();
        nint raw;
        int status = NativeMethods.ContextCreateIsa(threads, (int)isa, &raw);
        if (status == NativeMethods.UnsupportedCpu)
            throw new DeviceNotFoundException(isa == NativeIsa.Avx512
                ? "libcnnnative reports that this processor lacks AVX-512F; use \"native\" (the widest set present) or \"native:avx2\"."
                : "libcnnnative reports that this processor lacks AVX2/FMA; use the \"cpu\" or \"reference\" device.");
        NativeStatus.Check(status, $"Create(threads={threads}, isa={isa})");
        var handle = new ContextHandle(raw);
        int actualThreads, actualIsa;
        NativeMethods.ContextThreads(raw, &actualThreads);
        NativeMethods.ContextIsa(raw, &actualIsa);
        string name = isa == NativeIsa.Auto ? "native" : $"native:{isa.ToString().ToLowerInvariant()}";
        return new NativeDevice(name, handle, actualThreads, (NativeIsa)actualIsa, isa, library);
    }

    /// <summary>Whether this processor runs the native kernels of <paramref name="isa"/> (as the library sees it; loads it).</summary>
    public static bool IsSupported(NativeIsa isa)
    {
        if (!Enum.IsDefined(isa)) throw new ArgumentOutOfRangeException(nameof(isa), isa, "Unknown instruction set for the native device.");
        NativeLibraryLoader.Load();
        int supported;
        NativeStatus.Check(NativeMethods.IsaSupported((int)isa, &supported), nameof(IsSupported));
        return supported != 0;
    }

    /// <summary>The instruction set this device's GEMM and convolution kernels use (never <see cref="NativeIsa.Auto"/>).</summary>
    public NativeIsa Isa { get; }

    /// <summary>What DeviceInfo says about the kernels: the set in use, and why when a wider one was left unused.</summary>
    private static string DescribeIsa(NativeIsa isa, bool forcedBelowAvx512) => isa switch
    {
        NativeIsa.Avx512 => "AVX-512F (512-bit kernels)",
        _ when forcedBelowAvx512 => "AVX2+FMA (256-bit kernels, forced; AVX-512 present)",
        _ => "AVX2+FMA (256-bit kernels)",
    };

    /// <inheritdoc />
    public override DeviceInfo Info { get; }

    protected override void DisposeCore() => _context.Dispose();

    /// <summary>The context pointer; valid inside a Core method (the op lock keeps Dispose out).</summary>
    private nint Ctx => _context.DangerousGetHandle();

    /// <summary>A buffer's capacity, the length that travels with its pointer (0 for an absent optional buffer).</summary>
    private static long Len(DeviceBuffer? buffer) => buffer?.Length ?? 0;

    // ------------------------------------------------------------------------- elementwise (elementwise.c)

    protected override void FillCore(DeviceBuffer x, int length, float value)
        => NativeStatus.Check(NativeMethods.Fill(Ctx, length, value, Ptr(x), Len(x)), nameof(Fill));

    protected override void CopyCore(DeviceBuffer source, DeviceBuffer destination, int length)
        => NativeStatus.Check(NativeMethods.Copy(Ctx, length, Ptr(source), Len(source), Ptr(destination), Len(destination)), nameof(Copy));

    protected override void AxpyCore(int length, float alpha, DeviceBuffer x, DeviceBuffer y)
        => NativeStatus.Check(NativeMethods.Axpy(Ctx, length, alpha, Ptr(x), Len(x), Ptr(y), Len(y)), nameof(Axpy));

    protected override void ScaleCore(int length, float alpha, DeviceBuffer x)
        => NativeStatus.Check(NativeMethods.Scale(Ctx, length, alpha, Ptr(x), Len(x)), nameof(Scale));

    protected override void MultiplyCore(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y)
        => NativeStatus.Check(NativeMethods.Multiply(Ctx, length, Ptr(a), Len(a), Ptr(b), Len(b), Ptr(y), Len(y)), nameof(Multiply));

    protected override void DropoutForwardCore(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask)
        => NativeStatus.Check(NativeMethods.DropoutForward(Ctx, length, rate, seed, Ptr(x), Len(x), Ptr(y), Len(y), Ptr(mask), Len(mask)), nameof(DropoutForward));

    // --------------------------------------------------------------------------- activation (activation.c)

    protected override void ActivationForwardCore(Activation f, int length, DeviceBuffer x, DeviceBuffer y)
        => NativeStatus.Check(NativeMethods.ActivationForward(Ctx, (int)f, length, Ptr(x), Len(x), Ptr(y), Len(y)), nameof(ActivationForward));

    protected override void ActivationBackwardCore(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
        => NativeStatus.Check(NativeMethods.ActivationBackward(Ctx, (int)f, length, Ptr(y), Len(y), Ptr(dy), Len(dy), Ptr(dx), Len(dx)), nameof(ActivationBackward));

    // ------------------------------------------------------------------------------------- gemm (gemm.c)

    protected override void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
        => NativeStatus.Check(NativeMethods.Gemm(Ctx, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, Ptr(a), Len(a), Ptr(b), Len(b), beta, Ptr(c), Len(c)), nameof(Gemm));

    protected override void AddBiasRowsCore(int rows, int cols, DeviceBuffer bias, DeviceBuffer y)
        => NativeStatus.Check(NativeMethods.AddBiasRows(Ctx, rows, cols, Ptr(bias), Len(bias), Ptr(y), Len(y)), nameof(AddBiasRows));

    protected override void SumRowsCore(int rows, int cols, DeviceBuffer x, DeviceBuffer sums)
        => NativeStatus.Check(NativeMethods.SumRows(Ctx, rows, cols, Ptr(x), Len(x), Ptr(sums), Len(sums)), nameof(SumRows));

    // ---------------------------------------------------------------------------------- conv2d (conv2d.c)

    protected override void Conv2dForwardCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y)
    {
        var ng = new NativeMethods.Conv2dGeometry(g);
        NativeStatus.Check(NativeMethods.Conv2dForward(Ctx, &ng, Ptr(x), Len(x), Ptr(w), Len(w), Ptr(bias), Len(bias), Ptr(y), Len(y)), nameof(Conv2dForward));
    }

    protected override void Conv2dBackwardDataCore(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        var ng = new NativeMethods.Conv2dGeometry(g);
        NativeStatus.Check(NativeMethods.Conv2dBackwardData(Ctx, &ng, Ptr(dy), Len(dy), Ptr(w), Len(w), Ptr(dx), Len(dx)), nameof(Conv2dBackwardData));
    }

    protected override void Conv2dBackwardFilterCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        var ng = new NativeMethods.Conv2dGeometry(g);
        NativeStatus.Check(NativeMethods.Conv2dBackwardFilter(Ctx, &ng, Ptr(x), Len(x), Ptr(dy), Len(dy), Ptr(dw), Len(dw), Ptr(db), Len(db)), nameof(Conv2dBackwardFilter));
    }

    // ---------------------------------------------------------------------------------- pool2d (pool2d.c)

    protected override void Pool2dForwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y)
    {
        var ng = new NativeMethods.Pool2dGeometry(g);
        NativeStatus.Check(NativeMethods.Pool2dForward(Ctx, &ng, (int)mode, Ptr(x), Len(x), Ptr(y), Len(y)), nameof(Pool2dForward));
    }

    protected override void Pool2dBackwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
    {
        var ng = new NativeMethods.Pool2dGeometry(g);
        NativeStatus.Check(NativeMethods.Pool2dBackward(Ctx, &ng, (int)mode, Ptr(x), Len(x), Ptr(dy), Len(dy), Ptr(dx), Len(dx)), nameof(Pool2dBackward));
    }

    // ---------------------------------------------------------------------------- batch norm (batchnorm.c)

    protected override void BatchNormForwardTrainingCore(int n, int channels, int spatial, float eps, float momentum,
                                                         DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                         DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar)
        => NativeStatus.Check(NativeMethods.BatchNormForwardTraining(Ctx, n, channels, spatial, eps, momentum, Ptr(x), Len(x), Ptr(gamma), Len(gamma),
                                                                     Ptr(beta), Len(beta), Ptr(y), Len(y), Ptr(saveMean), Len(saveMean),
                                                                     Ptr(saveInvStd), Len(saveInvStd), Ptr(runningMean), Len(runningMean),
                                                                     Ptr(runningVar), Len(runningVar)), nameof(BatchNormForwardTraining));

    protected override void BatchNormForwardInferenceCore(int n, int channels, int spatial, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta,
                                                          DeviceBuffer runningMean, DeviceBuffer runningVar, DeviceBuffer y)
        => NativeStatus.Check(NativeMethods.BatchNormForwardInference(Ctx, n, channels, spatial, eps, Ptr(x), Len(x), Ptr(gamma), Len(gamma),
                                                                      Ptr(beta), Len(beta), Ptr(runningMean), Len(runningMean),
                                                                      Ptr(runningVar), Len(runningVar), Ptr(y), Len(y)), nameof(BatchNormForwardInference));

    protected override void BatchNormBackwardCore(int n, int channels, int spatial, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer gamma,
                                                  DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta)
        => NativeStatus.Check(NativeMethods.BatchNormBackward(Ctx, n, channels, spatial, Ptr(x), Len(x), Ptr(dy), Len(dy), Ptr(gamma), Len(gamma),
                                                              Ptr(saveMean), Len(saveMean), Ptr(saveInvStd), Len(saveInvStd),
                                                              Ptr(dx), Len(dx), Ptr(dgamma), Len(dgamma), Ptr(dbeta), Len(dbeta)), nameof(BatchNormBackward));

    // -------------------------------------------------------------------------------- softmax (softmax.c)

    protected override void SoftmaxForwardCore(int rows, int cols, DeviceBuffer x, DeviceBuffer y)
        => NativeStatus.Check(NativeMethods.SoftmaxForward(Ctx, rows, cols, Ptr(x), Len(x), Ptr(y), Len(y)), nameof(SoftmaxForward));

    protected override void SoftmaxBackwardCore(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
        => NativeStatus.Check(NativeMethods.SoftmaxBackward(Ctx, rows, cols, Ptr(y), Len(y), Ptr(dy), Len(dy), Ptr(dx), Len(dx)), nameof(SoftmaxBackward));

    // -------------------------------------------------------------------------------------- loss (loss.c)

    protected override float SoftmaxCrossEntropyCore(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale)
    {
        float loss;
        NativeStatus.Check(NativeMethods.SoftmaxCrossEntropy(Ctx, rows, cols, Ptr(logits), Len(logits), Ptr(targets), Len(targets),
                                                             Ptr(gradient), Len(gradient), gradScale, &loss), nameof(SoftmaxCrossEntropy));
        return loss;
    }

    protected override float SquaredErrorCore(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale)
    {
        float loss;
        NativeStatus.Check(NativeMethods.SquaredError(Ctx, length, Ptr(prediction), Len(prediction), Ptr(target), Len(target),
                                                      Ptr(gradient), Len(gradient), gradScale, &loss), nameof(SquaredError));
        return loss;
    }

    protected override int CountCorrectCore(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets)
    {
        int correct;
        NativeStatus.Check(NativeMethods.CountCorrect(Ctx, rows, cols, Ptr(scores), Len(scores), Ptr(targets), Len(targets), &correct), nameof(CountCorrect));
        return correct;
    }

    // ---------------------------------------------------------------------------- optimizer (optimizer.c)

    protected override void SgdStepCore(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                                        float lr, float momentum, float weightDecay, bool nesterov)
        => NativeStatus.Check(NativeMethods.SgdStep(Ctx, length, Ptr(param), Len(param), Ptr(grad), Len(grad), Ptr(velocity), Len(velocity),
                                                    lr, momentum, weightDecay, nesterov ? 1 : 0), nameof(SgdStep));

    protected override void AdamStepCore(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                                         float lr, float beta1, float beta2, float eps, float weightDecay, int step)
        => NativeStatus.Check(NativeMethods.AdamStep(Ctx, length, Ptr(param), Len(param), Ptr(grad), Len(grad), Ptr(m), Len(m), Ptr(v), Len(v),
                                                     lr, beta1, beta2, eps, weightDecay, step), nameof(AdamStep));

    /// <summary>Owns the native context so that it is freed even when a device is never disposed.</summary>
    private sealed class ContextHandle : SafeHandle
    {
        public ContextHandle(nint context) : base(0, ownsHandle: true) => SetHandle(context);

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle() => NativeMethods.ContextDestroy(handle) == NativeMethods.Ok;
    }
}
