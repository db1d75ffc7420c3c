using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// Max and average pooling, one task per chunk of (n, c) planes: planes are independent, and within a plane the
/// windows are visited in the reference's order, so overlapping windows add up in the same order.
/// The common 2×2 stride-2 max pooling has an AVX path (16 inputs of two rows → 8 outputs per step).
/// </summary>
internal static unsafe class CpuPooling
{
    public struct Job
    {
        public Pool2dGeometry G;
        public PoolMode Mode;
        public float* X, Dy, Y;
        public int PlanesPerTask;
    }

    public static int Tasks(in Job job) => (job.G.N * job.G.C + job.PlanesPerTask - 1) / job.PlanesPerTask;

    public static void ForwardTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        int end = Math.Min(g.N * g.C, (task + 1) * job->PlanesPerTask);
        for (int nc = task * job->PlanesPerTask; nc < end; nc++)
        {
            float* x = job->X + (long)nc * g.H * g.W, y = job->Y + (long)nc * g.P * g.Q;
            if (job->Mode == PoolMode.Max && g.R == 2 && g.S == 2 && g.StrideH == 2 && g.StrideW == 2 && Avx2.IsSupported)
                Max2x2Plane(x, y, g);
            else
                GenericForwardPlane(x, y, g, job->Mode);
        }
    }

    private static void GenericForwardPlane(float* x, float* y, in Pool2dGeometry g, PoolMode mode)
    {
        int window = g.R * g.S;
        for (int p = 0; p < g.P; p++)
            for (int q = 0; q < g.Q; q++)
            {
                float* w0 = x + (long)p * g.StrideH * g.W + q * g.StrideW;
                if (mode == PoolMode.Max)
                {
                    float acc = float.NegativeInfinity;
                    for (int r = 0; r < g.R; r++)
                        for (int s = 0; s < g.S; s++)
                        {
                            float v = w0[r * g.W + s];
                            if (v > acc || float.IsNaN(v)) acc = v;
                        }
                    y[p * g.Q + q] = acc;
                }
                else
                {
                    double acc = 0;
                    for (int r = 0; r < g.R; r++)
                        for (int s = 0; s < g.S; s++) acc += w0[r * g.W + s];
                    y[p * g.Q + q] = (float)(acc / window);
                }
            }
    }

    /// <summary>
    /// 2×2/2 max pooling of one plane. Vector256.Max returns NaN when either input is NaN, the reference's rule;
    /// columns past the last multiple of eight outputs use the generic loop.
    /// </summary>
    private static void Max2x2Plane(float* x, float* y, in Pool2dGeometry g)
    {
        for (int p = 0; p < g.P; p++)
        {
            float* r0 = x + (long)2 * p * g.W, r1 = r0 + g.W, yr = y + (long)p * g.Q;
            int q = 0;
            for (; q <= g.Q - 8; q += 8)
            {
                var a = Vector256.Max(Vector256.Load(r0 + 2 * q), Vector256.Load(r1 + 2 * q));
                var b = Vector256.Max(Vector256.Load(r0 + 2 * q + 8), Vector256.Load(r1 + 2 * q + 8));
                var m = Vector256.Max(Avx.Shuffle(a, b, 0x88), Avx.Shuffle(a, b, 0xDD)); // even vs odd columns
                Avx2.Permute4x64(m.AsDouble(), 0xD8).AsSingle().Store(yr + q);
            }
            for (; q < g.Q; q++)
            {
                float* w0 = r0 + 2 * q;
                yr[q] = MaxInOrder(MaxInOrder(MaxInOrder(MaxInOrder(float.NegativeInfinity, w0[0]), w0[1]), w0[g.W]), w0[g.W + 1]);
            }
        }
    }

    /// <summary>The reference's running maximum: a larger value or any NaN replaces the accumulator.</summary>
    private static float MaxInOrder(float acc, float v) => v > acc || float.IsNaN(v) ? v : acc;

    public static void BackwardTask(void* context, int task, int worker)
    {
        var job = (Job*)context;
        ref readonly var g = ref job->G;
        int end = Math.Min(g.N * g.C, (task + 1) * job->PlanesPerTask);
        for (int nc = task * job->PlanesPerTask; nc < end; nc++)
        {
            long plane = (long)nc * g.H * g.W;
            float* x = job->X + plane, dx = job->Y + plane, dy = job->Dy + (long)nc * g.P * g.Q;
            new Span<float>(dx, g.H * g.W).Clear();
            for (int p = 0; p < g.P; p++)
                for (int q = 0; q < g.Q; q++)
                {
                    float d = dy[p * g.Q + q];
                    int w0 = p * g.StrideH * g.W + q * g.StrideW;
                    if (job->Mode == PoolMode.Average)
                    {
                        float s = d / (g.R * g.S);
                        for (int r = 0; r < g.R; r++)
                            for (int c = 0; c < g.S; c++) dx[w0 + r * g.W + c] += s;
                        continue;
                    }
                    int best = w0;
                    for (int r = 0; r < g.R; r++)
                        for (int c = 0; c < g.S; c++)
                        {
                            int i = w0 + r * g.W + c;
                            if (x[i] > x[best]) best = i;
                        }
                    dx[best] += d;
                }
        }
    }
}
