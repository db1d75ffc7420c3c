using System.Runtime.Intrinsics;

namespace CnnNative.Devices.Cpu;

/// <summary>SGD (momentum, Nesterov, L2 weight decay) and Adam as <see cref="RangeJob"/> kernels, Vector256 with scalar tails.</summary>
internal static unsafe class CpuOptimizers
{
    private const int V = 8;

    /// <summary>
    /// P0 = param, P1 = grad, P2 = velocity (null when momentum is 0), F0 = lr, F1 = momentum, F2 = weight decay,
    /// B0 = nesterov. Same float operations, in the same order, as the reference.
    /// </summary>
    public static void Sgd(RangeJob* job, int start, int end, int chunk)
    {
        float* p = job->P0, g = job->P1, v = job->P2;
        float lr = job->F0, mu = job->F1, wd = job->F2;
        bool nesterov = job->B0;
        var vlr = Vector256.Create(lr); var vmu = Vector256.Create(mu); var vwd = Vector256.Create(wd);
        int i = start;
        if (mu == 0)
        {
            for (; i <= end - V; i += V)
            {
                var pi = Vector256.Load(p + i);
                var gi = Vector256.Load(g + i) + vwd * pi;
                (pi - vlr * gi).Store(p + i);
            }
            for (; i < end; i++) p[i] -= lr * (g[i] + wd * p[i]);
            return;
        }
        for (; i <= end - V; i += V)
        {
            var pi = Vector256.Load(p + i);
            var gi = Vector256.Load(g + i) + vwd * pi;
            var vi = vmu * Vector256.Load(v + i) + gi;
            vi.Store(v + i);
            gi = nesterov ? gi + vmu * vi : vi;
            (pi - vlr * gi).Store(p + i);
        }
        for (; i < end; i++)
        {
            float gi = g[i] + wd * p[i];
            v[i] = mu * v[i] + gi;
            gi = nesterov ? gi + mu * v[i] : v[i];
            p[i] -= lr * gi;
        }
    }

    /// <summary>
    /// P0 = param, P1 = grad, P2 = m, P3 = v, F0 = lr / (1 − β1^step), F1 = β1, F2 = β2, F3 = eps, F4 = weight decay,
    /// F5 = 1 / (1 − β2^step).
    /// </summary>
    public static void Adam(RangeJob* job, int start, int end, int chunk)
    {
        float* p = job->P0, g = job->P1, m = job->P2, v = job->P3;
        float step = job->F0, b1 = job->F1, b2 = job->F2, eps = job->F3, wd = job->F4, invC2 = job->F5;
        float c1m = 1 - b1, c2m = 1 - b2;
        var vstep = Vector256.Create(step); var vb1 = Vector256.Create(b1); var vb2 = Vector256.Create(b2);
        var veps = Vector256.Create(eps); var vwd = Vector256.Create(wd); var vinvC2 = Vector256.Create(invC2);
        var vc1m = Vector256.Create(c1m); var vc2m = Vector256.Create(c2m);
        int i = start;
        for (; i <= end - V; i += V)
        {
            var pi = Vector256.Load(p + i);
            var gi = Vector256.Load(g + i) + vwd * pi;
            var mi = vb1 * Vector256.Load(m + i) + vc1m * gi;
            var vi = vb2 * Vector256.Load(v + i) + vc2m * gi * gi;
            mi.Store(m + i);
            vi.Store(v + i);
            (pi - vstep * mi / (Vector256.Sqrt(vi * vinvC2) + veps)).Store(p + i);
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
