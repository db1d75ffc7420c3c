using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The activation family (ReLU, sigmoid, tanh) as <see cref="IRangeKernel"/> structs, forward and backward, over the
/// device's vector width (per element the same operations at every width, so the same bits).
/// </summary>
internal static unsafe class CpuActivation
{
    /// <summary>y = f(x).</summary>
    public struct Forward<TVec> : IRangeKernel where TVec : unmanaged, IVec<TVec>
    {
        public float* X, Y;
        public Activation F;

        public readonly void Run(int start, int end, int chunk)
        {
            float* x = X, y = Y;
            var one = TVec.One;
            int i = start;
            switch (F)
            {
                case Activation.ReLU:
                    for (; i <= end - TVec.Count; i += TVec.Count)
                    {
                        TVec.Store(TVec.Relu(TVec.Load(x + i)), y + i);
                    }
                    for (; i < end; i++) y[i] = x[i] > 0 ? x[i] : 0;
                    break;
                case Activation.Sigmoid:
                    for (; i <= end - TVec.Count; i += TVec.Count) TVec.Store(one / (one + TVec.Exp(-TVec.Load(x + i))), y + i);
                    for (; i < end; i++) y[i] = 1f / (1f + MathF.Exp(-x[i]));
                    break;
                default:
                    // tanh(v) = sign(v)·(1 − e)/(1 + e) with e = exp(−2|v|): never overflows.
                    var two = TVec.Broadcast(2f);
                    for (; i <= end - TVec.Count; i += TVec.Count)
                    {
                        var v = TVec.Load(x + i);
                        var e = TVec.Exp(-two * TVec.Abs(v));
                        TVec.Store(TVec.CopySign((one - e) / (one + e), v), y + i);
                    }
                    for (; i < end; i++) y[i] = MathF.Tanh(x[i]);
                    break;
            }
        }
    }

    /// <summary>dx = dy ⊙ f'(y), from the forward output y.</summary>
    public struct Backward<TVec> : IRangeKernel where TVec : unmanaged, IVec<TVec>
    {
        public float* Y, Dy, Dx;
        public Activation F;

        public readonly void Run(int start, int end, int chunk)
        {
            float* y = Y, dy = Dy, dx = Dx;
            var one = TVec.One;
            int i = start;
            switch (F)
            {
                case Activation.ReLU:
                    for (; i <= end - TVec.Count; i += TVec.Count)
                    {
                        TVec.Store(TVec.Load(dy + i) * TVec.PositiveMask(TVec.Load(y + i)), dx + i);
                    }
                    for (; i < end; i++) dx[i] = dy[i] * (y[i] > 0 ? 1f : 0f);
                    break;
                case Activation.Sigmoid:
                    for (; i <= end - TVec.Count; i += TVec.Count)
                    {
                        var v = TVec.Load(y + i);
                        TVec.Store(TVec.Load(dy + i) * (v * (one - v)), dx + i);
                    }
                    for (; i < end; i++) dx[i] = dy[i] * (y[i] * (1 - y[i]));
                    break;
                default:
                    for (; i <= end - TVec.Count; i += TVec.Count)
                    {
                        var v = TVec.Load(y + i);
                        TVec.Store(TVec.Load(dy + i) * (one - v * v), dx + i);
                    }
                    for (; i < end; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
                    break;
            }
        }
    }
}
