using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary><see cref="CpuKernels"/> compiled for one vector width <typeparamref name="TVec"/>.</summary>
internal sealed unsafe class CpuKernels<TVec>(WorkerPool pool, ScratchMemory shared, ScratchMemory perWorker, CpuPaths paths, CpuPackedWeights packed)
    : CpuKernels where TVec : unmanaged, IVec<TVec>
{
    private readonly CpuConv2d<TVec> _conv = new(pool, shared, perWorker, paths, (paths & CpuPaths.PackedWeights) != 0 ? packed : null);

    public override CpuIsa Isa => TVec.Count == 16 ? CpuIsa.Vector512 : CpuIsa.Vector256;

    private void Run<TKernel>(TKernel kernel, int length) where TKernel : unmanaged, IRangeKernel
        => ParallelRange.Run(pool, ref kernel, length);

    public override void Axpy(int length, float alpha, float* x, float* y)
        => Run(new CpuElementwise.Axpy<TVec> { X = x, Y = y, Alpha = alpha }, length);

    public override void Scale(int length, float alpha, float* x)
        => Run(new CpuElementwise.Scale<TVec> { X = x, Alpha = alpha }, length);

    public override void Multiply(int length, float* a, float* b, float* y)
        => Run(new CpuElementwise.Multiply<TVec> { A = a, B = b, Y = y }, length);

    public override void ActivationForward(Activation f, int length, float* x, float* y)
        => Run(new CpuActivation.Forward<TVec> { X = x, Y = y, F = f }, length);

    public override void ActivationBackward(Activation f, int length, float* y, float* dy, float* dx)
        => Run(new CpuActivation.Backward<TVec> { Y = y, Dy = dy, Dx = dx, F = f }, length);

    public override void Gemm(ref GemmProblem g) => CpuGemm<TVec>.Run(pool, paths, shared, ref g);

    public override int PanelWidth => CpuGemm<TVec>.NR;

    public override void PackWholeB(ref GemmProblem g, float* dst) => CpuGemm<TVec>.PackWholeB(ref g, dst);

    public override bool TakesDotTiles(in GemmProblem g) => CpuGemm<TVec>.TakesDotTiles(g, paths);

    public override void AddBiasRows(float* bias, float* y, int rows, int cols, bool relu) => CpuGemm<TVec>.AddBiasRows(bias, y, rows, cols, relu);

    public override bool Conv2dWritesBlocks(in Conv2dGeometry g, out bool readsBlocks) => _conv.WritesBlocks(g, out readsBlocks);

    public override void Conv2dForward(in Conv2dGeometry g, float* x, DeviceBuffer w, float* bias, float* y, bool relu, int xBlock = 0, bool yBlocked = false)
        => _conv.Forward(g, x, w, bias, y, relu, xBlock, yBlocked);

    public override void Conv2dBackwardData(in Conv2dGeometry g, float* dy, float* w, float* dx) => _conv.BackwardData(g, dy, w, dx);

    public override void Conv2dBackwardFilter(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db) => _conv.BackwardFilter(g, x, dy, dw, db);

    public override void Sgd(int length, float* param, float* grad, float* velocity, float lr, float momentum, float weightDecay, bool nesterov)
        => Run(new CpuOptimizer.Sgd<TVec>
        {
            Param = param, Grad = grad, Velocity = velocity,
            LearningRate = lr, Momentum = momentum, WeightDecay = weightDecay, Nesterov = nesterov,
        }, length);

    public override void Adam(int length, float* param, float* grad, float* m, float* v, float lr, float beta1, float beta2, float eps, float weightDecay, int step)
        => Run(CpuOptimizer.Adam<TVec>.Create(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step), length);
}
