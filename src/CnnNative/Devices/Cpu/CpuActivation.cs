using System.Runtime.Intrinsics;

namespace CnnNative.Devices.Cpu;

/// <summary>The activation family (ReLU, sigmoid, tanh) as <see cref="IRangeKernel"/> structs, forward and backward.</summary>
internal static unsafe class CpuActivation
{
    /// <summary>Lanes per vector (a JIT-time constant).</summary>
    private static int Lanes => Vector256<float>.Count;

    /// <summary>y = f(x).</summary>
    public struct Forward : IRangeKernel
    {
        public float* X, Y;
        public Activation F;

        public readonly void Run(int start, int end, int chunk)
        {
            float* x = X, y = Y;
            var one = Vector256<float>.One;
            int i = start;
            switch (F)
            {
                case Activation.ReLU:
                    for (; i <= end - Lanes; i += Lanes)
                    {
                        var v = Vector256.Load(x + i);
                        Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, Vector256<float>.Zero).Store(y + i);
                    }
                    for (; i < end; i++) y[i] = x[i] > 0 ? x[i] : 0;
                    break;
                case Activation.Sigmoid:
                    for (; i <= end - Lanes; i += Lanes) (one / (one + Vector256.Exp(-Vector256.Load(x + i)))).Store(y + i);
                    for (; i < end; i++) y[i] = 1f / (1f + MathF.Exp(-x[i]));
                    break;
                default:
                    // tanh(v) = sign(v)·(1 − e)/(1 + e) with e = exp(−2|v|): never overflows.
                    var two = Vector256.Create(2f);
                    for (; i <= end - Lanes; i += Lanes)
                    {
                        var v = Vector256.Load(x + i);
                        var e = Vector256.Exp(-two * Vector256.Abs(v));
                        Vector256.CopySign((one - e) / (one + e), v).Store(y + i);
                    }
                    for (; i < end; i++) y[i] = MathF.Tanh(x[i]);
                    break;
            }
        }
    }

    /// <summary>dx = dy ⊙ f'(y), from the forward output y.</summary>
    public struct Backward : IRangeKernel
    {
        public float* Y, Dy, Dx;
        public Activation F;

        public readonly void Run(int start, int end, int chunk)
        {
            float* y = Y, dy = Dy, dx = Dx;
            var one = Vector256<float>.One;
            int i = start;
            switch (F)
            {
                case Activation.ReLU:
                    for (; i <= end - Lanes; i += Lanes)
                    {
                        var d = Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Load(y + i), Vector256<float>.Zero), one, Vector256<float>.Zero);
                        (Vector256.Load(dy + i) * d).Store(dx + i);
                    }
                    for (; i < end; i++) dx[i] = dy[i] * (y[i] > 0 ? 1f : 0f);
                    break;
                case Activation.Sigmoid:
                    for (; i <= end - Lanes; i += Lanes)
                    {
                        var v = Vector256.Load(y + i);
                        (Vector256.Load(dy + i) * (v * (one - v))).Store(dx + i);
                    }
                    for (; i < end; i++) dx[i] = dy[i] * (y[i] * (1 - y[i]));
                    break;
                default:
                    for (; i <= end - Lanes; i += Lanes)
                    {
                        var v = Vector256.Load(y + i);
                        (Vector256.Load(dy + i) * (one - v * v)).Store(dx + i);
                    }
                    for (; i < end; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
                    break;
            }
        }
    }
}
