namespace CnnNative.Devices.OpenCL;

// Elementwise family (Kernels/elementwise.cl): fill, copy, axpy, scale, multiply, dropout; one work-item per element.
internal sealed partial class OpenClDevice
{
    private struct FillArgs : IKernelArgs { public static string Kernel => "fill"; public int N; public float Value; public ClMem X; }
    private struct CopyArgs : IKernelArgs { public static string Kernel => "copy"; public int N; public ClMem Src, Dst; }
    private struct AxpyArgs : IKernelArgs { public static string Kernel => "axpy"; public int N; public float Alpha; public ClMem X, Y; }
    private struct ScaleArgs : IKernelArgs { public static string Kernel => "scale"; public int N; public float Alpha; public ClMem X; }
    private struct MultiplyArgs : IKernelArgs { public static string Kernel => "multiply"; public int N; public ClMem A, B, Y; }

    private struct DropoutForwardArgs : IKernelArgs
    {
        public static string Kernel => "dropout_forward";
        public int N; public float Rate; public uint Seed;
        /// <summary>1/(1−rate), computed on the host exactly as DropoutHash.Mask computes it.</summary>
        public float KeepScale;
        public ClMem X, Y, Mask;
    }

    protected override void FillCore(DeviceBuffer x, int length, float value)
        => EnqueueItems(new FillArgs { N = length, Value = value, X = Mem(x) }, length);

    protected override void CopyCore(DeviceBuffer source, DeviceBuffer destination, int length)
        => EnqueueItems(new CopyArgs { N = length, Src = Mem(source), Dst = Mem(destination) }, length);

    protected override void AxpyCore(int length, float alpha, DeviceBuffer x, DeviceBuffer y)
        => EnqueueItems(new AxpyArgs { N = length, Alpha = alpha, X = Mem(x), Y = Mem(y) }, length);

    protected override void ScaleCore(int length, float alpha, DeviceBuffer x)
        => EnqueueItems(new ScaleArgs { N = length, Alpha = alpha, X = Mem(x) }, length);

    protected override void MultiplyCore(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y)
        => EnqueueItems(new MultiplyArgs { N = length, A = Mem(a), B = Mem(b), Y = Mem(y) }, length);

    protected override void DropoutForwardCore(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask)
        => EnqueueItems(new DropoutForwardArgs
        {
            N = length, Rate = rate, Seed = seed, KeepScale = 1.0f / (1.0f - rate), X = Mem(x), Y = Mem(y), Mask = Mem(mask),
        }, length);
}
