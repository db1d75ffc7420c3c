namespace CnnNative.Devices.OpenCL;

// Softmax family (Kernels/softmax.cl): row-wise softmax forward and backward, one work-item per row.
internal sealed partial class OpenClDevice
{
    private struct SoftmaxForwardArgs : IKernelArgs { public static string Kernel => "softmax_forward"; public int Rows, Cols; public ClMem X, Y; }

    private struct SoftmaxBackwardArgs : IKernelArgs
    {
        public static string Kernel => "softmax_backward";
        public int Rows, Cols; public ClMem Y, Dy, Dx;
    }

    protected override void SoftmaxForwardCore(int rows, int cols, DeviceBuffer x, DeviceBuffer y)
        => EnqueueItems(new SoftmaxForwardArgs { Rows = rows, Cols = cols, X = Mem(x), Y = Mem(y) }, rows);

    protected override void SoftmaxBackwardCore(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
        => EnqueueItems(new SoftmaxBackwardArgs { Rows = rows, Cols = cols, Y = Mem(y), Dy = Mem(dy), Dx = Mem(dx) }, rows);
}
