namespace CnnNative.Devices.OpenCL;

// Pool2d family (Kernels/pool2d.cl): max and average pooling, forward and backward.
internal sealed partial class OpenClDevice
{
    private struct Pool2dForwardArgs : IKernelArgs
    {
        public static string Kernel => "pool2d_forward";
        public int H, W, R, S, StrideH, StrideW, P, Q, IsMax;
        public float InvArea;
        public ClMem X, Y;
    }

    private struct Pool2dBackwardArgs : IKernelArgs
    {
        public static string Kernel => "pool2d_backward";
        public int H, W, R, S, StrideH, StrideW, P, Q, IsMax;
        public float InvArea;
        public ClMem X, Dy, Dx;
    }

    protected override void Pool2dForwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y)
        => EnqueueRows(new Pool2dForwardArgs
        {
            H = g.H, W = g.W, R = g.R, S = g.S, StrideH = g.StrideH, StrideW = g.StrideW, P = g.P, Q = g.Q,
            IsMax = mode == PoolMode.Max ? 1 : 0, InvArea = 1f / (g.R * g.S), X = Mem(x), Y = Mem(y),
        }, g.Q, g.P, (long)g.N * g.C);

    protected override void Pool2dBackwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
        => EnqueueRows(new Pool2dBackwardArgs
        {
            H = g.H, W = g.W, R = g.R, S = g.S, StrideH = g.StrideH, StrideW = g.StrideW, P = g.P, Q = g.Q,
            IsMax = mode == PoolMode.Max ? 1 : 0, InvArea = 1f / (g.R * g.S), X = Mem(x), Dy = Mem(dy), Dx = Mem(dx),
        }, g.W, g.H, (long)g.N * g.C);
}
