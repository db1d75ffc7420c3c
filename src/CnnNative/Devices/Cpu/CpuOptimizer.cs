using CnnNative.Devices.Cpu.Simd;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The optimizer family: SGD (momentum, Nesterov, L2 weight decay) and Adam as <see cref="IRangeKernel"/> structs
/// over the device's vector width (per element the same operations at every width, so the same bits).
/// </summary>
internal static unsafe class CpuOptimizer
{
    /// <summary>PyTorch's SGD; the same float operations, in the same order, as the reference.</summary>
    public struct Sgd<TVec> : IRangeKernel where TVec : unmanaged, IVec<TVec>
    {
        public float* Param, Grad;
        /// <summary>Null when <see cref="Momentum"/> is 0 (then never touched).</summary>
        public float* Velocity;
        public float LearningRate, Momentum, WeightDecay;
        public bool Nesterov;

        public readonly void Run(int start, int end, int chunk)
        {
            float* p = Param, g = Grad, v = Velocity;
            float lr = LearningRate, mu = Momentum, wd = WeightDecay;
            var vlr = TVec.Broadcast(lr); var vmu = TVec.Broadcast(mu); var vwd = TVec.Broadcast(wd);
            int i = start;
            if (mu == 0)
            {
                for (; i <= end - TVec.Count; i += TVec.Count)
                {
                    var pi = TVec.Load(p + i);
                    var gi = TVec.Load(g + i) + vwd * pi;
                    TVec.Store(pi - vlr * gi, p + i);
                }
                for (; i < end; i++) p[i] -= lr * (g[i] + wd * p[i]);
                return;
            }
            for (; i <= end - TVec.Count; i += TVec.Count)
            {
                var pi = TVec.Load(p + i);
                var gi = TVec.Load(g + i) + vwd * pi;
                var vi = vmu * TVec.Load(v + i) + gi;
                TVec.Store(vi, v + i);
                gi = Nesterov ? gi + vmu * vi : vi;
                TVec.Store(pi - vlr * gi, p + i);
            }
            for (; i < end; i++)
            {
                float gi = g[i] + wd * p[i];
                v[i] = mu * v[i] + gi;
                gi = Nesterov ? gi + mu * v[i] : v[i];
                p[i] -= lr * gi;
            }
        }
    }

    /// <summary>Adam with the bias corrections folded into two factors computed once per step (in double).</summary>
    public struct Adam<TVec> : IRangeKernel where TVec : unmanaged, IVec<TVec>
    {
        public float* Param, Grad, M, V;
        /// <summary>lr / (1 − β1^step).</summary>
        public float StepSize;
        public float Beta1, Beta2, Eps, WeightDecay;
        /// <summary>1 / (1 − β2^step).</summary>
        public float InvBias2;

        public static Adam<TVec> Create(float* param, float* grad, float* m, float* v,
                                  float lr, float beta1, float beta2, float eps, float weightDecay, int step)
        {
            double c1 = 1 - Math.Pow(beta1, step), c2 = 1 - Math.Pow(beta2, step);
            return new Adam<TVec>
            {
                Param = param, Grad = grad, M = m, V = v, StepSize = (float)(lr / c1), Beta1 = beta1, Beta2 = beta2,
                Eps = eps, WeightDecay = weightDecay, InvBias2 = (float)(1 / c2),
            };
        }

        public readonly void Run(int start, int end, int chunk)
        {
            float* p = Param, g = Grad, m = M, v = V;
            float step = StepSize, b1 = Beta1, b2 = Beta2, eps = Eps, wd = WeightDecay, invC2 = InvBias2;
            float c1m = 1 - b1, c2m = 1 - b2;
            var vstep = TVec.Broadcast(step); var vb1 = TVec.Broadcast(b1); var vb2 = TVec.Broadcast(b2);
            var veps = TVec.Broadcast(eps); var vwd = TVec.Broadcast(wd); var vinvC2 = TVec.Broadcast(invC2);
            var vc1m = TVec.Broadcast(c1m); var vc2m = TVec.Broadcast(c2m);
            int i = start;
            for (; i <= end - TVec.Count; i += TVec.Count)
            {
                var pi = TVec.Load(p + i);
                var gi = TVec.Load(g + i) + vwd * pi;
                var mi = vb1 * TVec.Load(m + i) + vc1m * gi;
                var vi = vb2 * TVec.Load(v + i) + vc2m * gi * gi;
                TVec.Store(mi, m + i);
                TVec.Store(vi, v + i);
                TVec.Store(pi - vstep * mi / (TVec.Sqrt(vi * vinvC2) + veps), p + i);
            }
            for (; i < end; i++)
            {
                float gi = g[i] + wd * p[i];
                m[i] = b1 * m[i] + c1m * gi;
                v[i] = b2 * v[i] + c2m * gi * gi;
                p[i] -= step * m[i] / (MathF.Sqrt(v[i] * invC2) + eps);
            }
        }
    }
}
