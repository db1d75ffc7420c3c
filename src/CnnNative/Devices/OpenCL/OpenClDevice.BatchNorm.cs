namespace CnnNative.Devices.OpenCL;

// BatchNorm family (Kernels/batchnorm.cl): per-channel statistics and gradient sums in one work-group per channel,
// then element-wise normalize and input-gradient passes.
internal sealed partial class OpenClDevice
{
    private struct BatchNormStatisticsArgs : IKernelArgs
    {
        public static string Kernel => "batchnorm_statistics";
        public int N, Channels, Spatial; public float Eps, Momentum;
        public ClMem X, SaveMean, SaveInvStd, RunningMean, RunningVar;
    }

    private struct BatchNormNormalizeArgs : IKernelArgs
    {
        public static string Kernel => "batchnorm_normalize";
        public int N, Channels, Spatial;
        public ClMem X, Mean, InvStd, Gamma, Beta, Y;
    }

    private struct BatchNormForwardInferenceArgs : IKernelArgs
    {
        public static string Kernel => "batchnorm_forward_inference";
        public int N, Channels, Spatial; public float Eps;
        public ClMem X, Gamma, Beta, RunningMean, RunningVar, Y;
    }

    private struct BatchNormBackwardSumsArgs : IKernelArgs
    {
        public static string Kernel => "batchnorm_backward_sums";
        public int N, Channels, Spatial;
        public ClMem X, Dy, SaveMean, SaveInvStd, DGamma, DBeta, Sums;
    }

    private struct BatchNormBackwardDataArgs : IKernelArgs
    {
        public static string Kernel => "batchnorm_backward_data";
        public int N, Channels, Spatial;
        public ClMem X, Dy, Gamma, SaveMean, SaveInvStd, Sums, Dx;
    }

    /// <summary>BN_GROUP in batchnorm.cl: the local array the per-channel sums reduce in.</summary>
    private const int BatchNormMaxGroup = 256;

    protected override void BatchNormForwardTrainingCore(int n, int channels, int spatial, float eps, float momentum,
                                                         DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                         DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar)
    {
        EnqueuePerChannel(new BatchNormStatisticsArgs
        {
            N = n, Channels = channels, Spatial = spatial, Eps = eps, Momentum = momentum, X = Mem(x),
            SaveMean = Mem(saveMean), SaveInvStd = Mem(saveInvStd), RunningMean = Mem(runningMean), RunningVar = Mem(runningVar),
        }, channels);
        EnqueueElements(new BatchNormNormalizeArgs
        {
            N = n, Channels = channels, Spatial = spatial, X = Mem(x), Mean = Mem(saveMean), InvStd = Mem(saveInvStd),
            Gamma = Mem(gamma), Beta = Mem(beta), Y = Mem(y),
        }, n, channels, spatial);
    }

    protected override void BatchNormForwardInferenceCore(int n, int channels, int spatial, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta,
                                                          DeviceBuffer runningMean, DeviceBuffer runningVar, DeviceBuffer y)
        => EnqueueElements(new BatchNormForwardInferenceArgs
        {
            N = n, Channels = channels, Spatial = spatial, Eps = eps, X = Mem(x), Gamma = Mem(gamma), Beta = Mem(beta),
            RunningMean = Mem(runningMean), RunningVar = Mem(runningVar), Y = Mem(y),
        }, n, channels, spatial);

    protected override void BatchNormBackwardCore(int n, int channels, int spatial, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer gamma,
                                                  DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta)
    {
        var sums = Workspace(WsPartials, 2L * channels);
        EnqueuePerChannel(new BatchNormBackwardSumsArgs
        {
            N = n, Channels = channels, Spatial = spatial, X = Mem(x), Dy = Mem(dy), SaveMean = Mem(saveMean), SaveInvStd = Mem(saveInvStd),
            DGamma = Mem(dgamma), DBeta = Mem(dbeta), Sums = sums,
        }, channels);
        EnqueueElements(new BatchNormBackwardDataArgs
        {
            N = n, Channels = channels, Spatial = spatial, X = Mem(x), Dy = Mem(dy), Gamma = Mem(gamma), SaveMean = Mem(saveMean),
            SaveInvStd = Mem(saveInvStd), Sums = sums, Dx = Mem(dx),
        }, n, channels, spatial);
    }

    /// <summary>
    /// One work-item per element over (spatial, channels, n): 16×4 groups along planes, or with spatial = 1 ((N, features))
    /// groups of 64 channels, so that few work-items idle.
    /// </summary>
    private void EnqueueElements<T>(T args, int n, int channels, int spatial) where T : unmanaged, IKernelArgs
    {
        if (spatial > 1) EnqueueRows(args, spatial, channels, n);
        else Enqueue(args, 1, channels, n, 1, Math.Max(1, Math.Min(64, MaxGroup<T>())), 1);
    }

    /// <summary>
    /// One work-group per channel, of the largest power of two the kernel allows up to <see cref="BatchNormMaxGroup"/>:
    /// fixed per device, so the per-channel sums always add in the same order.
    /// </summary>
    private void EnqueuePerChannel<T>(T args, int channels) where T : unmanaged, IKernelArgs
    {
        int group = 1 << System.Numerics.BitOperations.Log2((uint)Math.Max(1, Math.Min(BatchNormMaxGroup, MaxGroup<T>())));
        Enqueue(args, (long)channels * group, 1, 1, group, 1, 1);
    }
}
