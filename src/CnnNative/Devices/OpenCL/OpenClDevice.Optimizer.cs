namespace CnnNative.Devices.OpenCL;

// Optimizer family (Kernels/optimizer.cl): SGD and Adam, one work-item per parameter.
internal sealed partial class OpenClDevice
{
    private struct SgdStepArgs : IKernelArgs
    {
        public static string Kernel => "sgd_step";
        public int N; public ClMem Param, Grad, Velocity;
        public float Lr, Momentum, WeightDecay;
        public int Nesterov;
    }

    private struct AdamStepArgs : IKernelArgs
    {
        public static string Kernel => "adam_step";
        public int N; public ClMem Param, Grad, M, V;
        public float Lr, Beta1, Beta2, Eps, WeightDecay;
        /// <summary>1/(1−β1^step) and 1/(1−β2^step), computed on the host in double.</summary>
        public float InvC1, InvC2;
    }

    protected override void SgdStepCore(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                                        float lr, float momentum, float weightDecay, bool nesterov)
        => EnqueueItems(new SgdStepArgs
        {
            N = length, Param = Mem(param), Grad = Mem(grad), Velocity = Mem(velocity),
            Lr = lr, Momentum = momentum, WeightDecay = weightDecay, Nesterov = nesterov ? 1 : 0,
        }, length);

    protected override void AdamStepCore(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                                         float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        double c1 = 1 - Math.Pow(beta1, step), c2 = 1 - Math.Pow(beta2, step);
        EnqueueItems(new AdamStepArgs
        {
            N = length, Param = Mem(param), Grad = Mem(grad), M = Mem(m), V = Mem(v),
            Lr = lr, Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay, InvC1 = (float)(1 / c1), InvC2 = (float)(1 / c2),
        }, length);
    }
}
