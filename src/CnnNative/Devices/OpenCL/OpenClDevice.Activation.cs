namespace CnnNative.Devices.OpenCL;

// Activation family (Kernels/activation.cl): ReLU, sigmoid, tanh, forward and backward.
internal sealed partial class OpenClDevice
{
    private struct ActivationForwardArgs : IKernelArgs
    {
        public static string Kernel => "activation_forward";
        public int N;
        /// <summary>The Activation value: 0 ReLU, 1 Sigmoid, 2 Tanh.</summary>
        public int F;
        public ClMem X, Y;
    }

    private struct ActivationBackwardArgs : IKernelArgs
    {
        public static string Kernel => "activation_backward";
        public int N;
        /// <inheritdoc cref="ActivationForwardArgs.F"/>
        public int F;
        public ClMem Y, Dy, Dx;
    }

    protected override void ActivationForwardCore(Activation f, int length, DeviceBuffer x, DeviceBuffer y)
        => EnqueueItems(new ActivationForwardArgs { N = length, F = (int)f, X = Mem(x), Y = Mem(y) }, length);

    protected override void ActivationBackwardCore(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
        => EnqueueItems(new ActivationBackwardArgs { N = length, F = (int)f, Y = Mem(y), Dy = Mem(dy), Dx = Mem(dx) }, length);
}
