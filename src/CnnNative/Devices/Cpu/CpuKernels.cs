using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The cpu device's ops that are written over the vector width, as one object per device: <see cref="Create"/>
/// picks the width once (from <see cref="CpuDeviceOptions.Isa"/>) and every later call runs that width's compiled
/// kernels (<see cref="CpuKernels{TVec}"/>), one virtual call per op.
/// </summary>
internal abstract unsafe class CpuKernels
{
    /// <summary>The kernels of <paramref name="isa"/> (Auto resolved by <see cref="CpuProcessor.Resolve"/>).</summary>
    public static CpuKernels Create(CpuIsa isa, WorkerPool pool, ScratchMemory shared, ScratchMemory perWorker, CpuPaths paths, CpuPackedWeights packed)
        => CpuProcessor.Resolve(isa) == CpuIsa.Vector512
            ? new CpuKernels<V512>(pool, shared, perWorker, paths, packed)
            : new CpuKernels<V256>(pool, shared, perWorker, paths, packed);

    /// <summary>The width these kernels run at.</summary>
    public abstract CpuIsa Isa { get; }

    public abstract void Axpy(int length, float alpha, float* x, float* y);
    public abstract void Scale(int length, float alpha, float* x);
    public abstract void Multiply(int length, float* a, float* b, float* y);
    public abstract void ActivationForward(Activation f, int length, float* x, float* y);
    public abstract void ActivationBackward(Activation f, int length, float* y, float* dy, float* dx);
    public abstract void Gemm(ref GemmProblem g);
    /// <summary>Columns of a packed B panel (two vectors).</summary>
    public abstract int PanelWidth { get; }
    /// <summary>Packs op(B) whole (every k block) into dst for <see cref="GemmProblem.PackedB"/>.</summary>
    public abstract void PackWholeB(ref GemmProblem g, float* dst);

    /// <summary>Whether <see cref="Gemm"/> computes <paramref name="g"/> as dot-product tiles (B read where it lies, never packed).</summary>
    public abstract bool TakesDotTiles(in GemmProblem g);
    public abstract void AddBiasRows(float* bias, float* y, int rows, int cols, bool relu);
    /// <summary>Whether <see cref="Conv2dForward"/> can leave y channel-blocked at this width, and read a blocked x.</summary>
    public abstract bool Conv2dWritesBlocks(in Conv2dGeometry g, out bool readsBlocks);
    /// <summary>The forward; <paramref name="w"/> is a buffer so its packed filters can be cached (<see cref="CpuPackedWeights"/>).</summary>
    /// <remarks><paramref name="xBlock"/>: x's channel block when it is channel-blocked (0: NCHW); <paramref name="yBlocked"/>: y
    /// written blocked at this width's vector (only where <see cref="Conv2dWritesBlocks"/> says so).</remarks>
    public abstract void Conv2dForward(in Conv2dGeometry g, float* x, DeviceBuffer w, float* bias, float* y, bool relu, int xBlock = 0, bool yBlocked = false);
    public abstract void Conv2dBackwardData(in Conv2dGeometry g, float* dy, float* w, float* dx);
    public abstract void Conv2dBackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db);
    public abstract void Sgd(int length, float* param, float* grad, float* velocity, float lr, float momentum, float weightDecay, bool nesterov);
    public abstract void Adam(int length, float* param, float* grad, float* m, float* v, float lr, float beta1, float beta2, float eps, float weightDecay, int step);
}
