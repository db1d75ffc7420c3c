using System.Runtime.Intrinsics;

namespace CnnNative.Devices.Cpu;

/// <summary>
/// The batch-norm family as <see cref="IRangeKernel"/> structs; x is (n, channels, spatial), element (i, c, s) at
/// (i·channels + c)·spatial + s. Two kinds of pass:
/// <list type="bullet">
/// <item>Per-channel sums (the statistics, the gradient sums), over ranges of channels: each channel is summed by one
/// task, in double, in an order fixed by the sizes (Vector256 lanes over each plane's positions, then the lanes, then
/// the planes' tails), so the bits do not depend on the thread count. With spatial = 1 ((N, features) after a dense
/// layer) the lanes run over neighbouring channels instead, and each channel's sum is the plain in-order sum.</item>
/// <item>Element-wise passes (normalize, input gradient) over rows, in float with per-channel coefficients that the
/// sums pass computed in double: a row is a plane of spatial values, or with spatial = 1 a sample's channels.</item>
/// </list>
/// </summary>
internal static unsafe class CpuBatchNorm
{
    /// <summary>Lanes per vector (a JIT-time constant).</summary>
    private static int Lanes => Vector256<float>.Count;

    /// <summary>Channels per task of the sums: about <see cref="ParallelRange.Chunk"/> values, whole vectors of channels when spatial is 1.</summary>
    public static int ChannelsPerChunk(int n, int spatial)
    {
        int channels = (int)Math.Max(1, ParallelRange.Chunk / Math.Max(1L, (long)n * spatial));
        return spatial == 1 ? (channels + Lanes - 1) / Lanes * Lanes : channels;
    }

    /// <summary>Rows of the element-wise passes: planes, or samples when spatial is 1.</summary>
    public static int Rows(int n, int channels, int spatial) => spatial == 1 ? n : n * channels;

    /// <summary>Rows per task of the element-wise passes.</summary>
    public static int RowsPerChunk(int channels, int spatial) => ParallelRange.RowsPerChunk(spatial == 1 ? channels : spatial);

    /// <summary>
    /// The batch's statistics of channels [start, end): SaveMean, SaveInvStd, the running statistics moved by Momentum
    /// (with the unbiased variance), and Scale = γ·invStd for <see cref="Normalize"/>.
    /// </summary>
    public struct Statistics : IRangeKernel
    {
        public float* X, Gamma, SaveMean, SaveInvStd, RunningMean, RunningVar, Scale;
        public int N, C, S;
        public float Eps, Momentum;

        public readonly void Run(int start, int end, int chunk)
        {
            long m = (long)N * S;
            var count = Vector256.Create((double)m);
            int c = start;
            if (S == 1)
                for (; c <= end - Lanes; c += Lanes)
                {
                    var sum = ColumnSums(X + c, default, null, default, N, C).Single;
                    var mean = (sum.Lo / count, sum.Hi / count);
                    var squares = ColumnSums(X + c, mean, X + c, mean, N, C).Product;
                    for (int j = 0; j < Lanes; j++) Finish(c + j, Lane(mean, j), Lane(squares, j), m);
                }
            for (; c < end; c++)
            {
                float* x = X + (long)c * S;
                double mean = Sums(x, 0, null, 0, N, (long)C * S, S).Single / m;
                Finish(c, mean, Sums(x, mean, x, mean, N, (long)C * S, S).Product, m);
            }
        }

        public readonly void Finish(int c, double mean, double squares, long m)
        {
            double invStd = 1 / Math.Sqrt(squares / m + Eps);
            SaveMean[c] = (float)mean;
            SaveInvStd[c] = (float)invStd;
            Scale[c] = (float)(Gamma[c] * invStd);
            double unbiased = m > 1 ? squares / (m - 1) : 0;
            RunningMean[c] = (float)((1 - (double)Momentum) * RunningMean[c] + Momentum * mean);
            RunningVar[c] = (float)((1 - (double)Momentum) * RunningVar[c] + Momentum * unbiased);
        }
    }

    /// <summary>
    /// The gradient sums of channels [start, end): dβ += Σ dy, dγ += Σ dy·x̂, and the coefficients of
    /// <see cref="InputGradient"/>: K holds scale = γ·invStd, mean(dy) and proj = Σ dy·x̂·invStd/m, C floats each.
    /// </summary>
    public struct GradientSums : IRangeKernel
    {
        public float* X, Dy, Gamma, SaveMean, SaveInvStd, DGamma, DBeta, K;
        public int N, C, S;

        public readonly void Run(int start, int end, int chunk)
        {
            long m = (long)N * S;
            int c = start;
            if (S == 1)
                for (; c <= end - Lanes; c += Lanes)
                {
                    var (sumDy, sumDyXmu) = ColumnSums(Dy + c, default, X + c, Vector256.Widen(Vector256.Load(SaveMean + c)), N, C);
                    for (int j = 0; j < Lanes; j++) Finish(c + j, Lane(sumDy, j), Lane(sumDyXmu, j), m);
                }
            for (; c < end; c++)
            {
                long offset = (long)c * S;
                var (sumDy, sumDyXmu) = Sums(Dy + offset, 0, X + offset, SaveMean[c], N, (long)C * S, S);
                Finish(c, sumDy, sumDyXmu, m);
            }
        }

        // sumDyXmu = Σ dy·(x − mean), so Σ dy·x̂ = sumDyXmu·invStd.
        public readonly void Finish(int c, double sumDy, double sumDyXmu, long m)
        {
            double invStd = SaveInvStd[c];
            DBeta[c] += (float)sumDy;
            DGamma[c] += (float)(sumDyXmu * invStd);
            K[c] = (float)(Gamma[c] * invStd);
            K[C + c] = (float)(sumDy / m);
            K[2 * C + c] = (float)(sumDyXmu * invStd * invStd / m);
        }
    }

    /// <summary>
    /// The sums by images instead of by channels (planes, spatial &gt; 1): over planes [start, end), in batch order,
    /// each plane's Σ (a − ShiftA[c]) and Σ (a − ShiftA[c])·(b − ShiftB[c]) in double (as <see cref="Sums"/> adds
    /// them) into this chunk's partials, [chunk][channel][2]; <see cref="AddChunks"/> then adds the chunks in order.
    /// A worker so reads the images it wrote in the op before (the channel ranges read every image), and the bits
    /// depend on the sizes only. ShiftA null means 0.
    /// </summary>
    public struct PlaneSums : IRangeKernel
    {
        public float* A, B, ShiftA, ShiftB;
        public double* Partials;
        public int C, S;

        public readonly void Run(int start, int end, int chunk)
        {
            double* p = Partials + 2L * chunk * C;
            new Span<double>(p, 2 * C).Clear();
            for (int r = start; r < end; r++)
            {
                int c = r % C;
                long o = (long)r * S;
                var (single, product) = Sums(A + o, ShiftA == null ? 0 : ShiftA[c], B + o, ShiftB[c], 1, S, S);
                p[2 * c] += single;
                p[2 * c + 1] += product;
            }
        }
    }

    /// <summary>Rows (planes) per chunk of <see cref="PlaneSums"/>: about <see cref="ParallelRange.Chunk"/> values.</summary>
    public static int PlanesPerChunk(int spatial) => ParallelRange.RowsPerChunk(spatial);

    /// <summary>Channel c's two sums over every chunk of <see cref="PlaneSums"/>, chunks in order.</summary>
    public static (double Single, double Product) AddChunks(double* partials, int chunks, int channels, int c)
    {
        double single = 0, product = 0;
        for (int k = 0; k < chunks; k++)
        {
            single += partials[2L * (k * (long)channels + c)];
            product += partials[2L * (k * (long)channels + c) + 1];
        }
        return (single, product);
    }

    /// <summary>y = (x − Mean[c])·Scale[c] + Shift[c] over rows [start, end).</summary>
    public struct Normalize : IRangeKernel
    {
        public float* X, Y, Mean, Scale, Shift;
        public int C, S;

        public readonly void Run(int start, int end, int chunk)
        {
            for (int r = start; r < end; r++)
            {
                if (S == 1)
                {
                    long o = (long)r * C;
                    int c = 0;
                    for (; c <= C - Lanes; c += Lanes)
                        ((Vector256.Load(X + o + c) - Vector256.Load(Mean + c)) * Vector256.Load(Scale + c) + Vector256.Load(Shift + c)).Store(Y + o + c);
                    for (; c < C; c++) Y[o + c] = (X[o + c] - Mean[c]) * Scale[c] + Shift[c];
                }
                else
                {
                    int c = r % C;
                    long o = (long)r * S;
                    float mean = Mean[c], scale = Scale[c], shift = Shift[c];
                    var (vm, vs, vb) = (Vector256.Create(mean), Vector256.Create(scale), Vector256.Create(shift));
                    int s = 0;
                    for (; s <= S - Lanes; s += Lanes) ((Vector256.Load(X + o + s) - vm) * vs + vb).Store(Y + o + s);
                    for (; s < S; s++) Y[o + s] = (X[o + s] - mean) * scale + shift;
                }
            }
        }
    }

    /// <summary>
    /// dx = ((dy − mean(dy)) − (x − mean)·proj)·scale over rows [start, end), with the coefficients of <see cref="GradientSums"/>
    /// (PyTorch's form: the cancellation happens before the scaling, and a lone value per channel gets exactly 0).
    /// </summary>
    public struct InputGradient : IRangeKernel
    {
        public float* X, Dy, Dx, Mean, K;
        public int C, S;

        public readonly void Run(int start, int end, int chunk)
        {
            float* scale = K, dyMean = K + C, proj = K + 2 * C;
            for (int r = start; r < end; r++)
            {
                if (S == 1)
                {
                    long o = (long)r * C;
                    int c = 0;
                    for (; c <= C - Lanes; c += Lanes)
                    {
                        var xm = Vector256.Load(X + o + c) - Vector256.Load(Mean + c);
                        var d = (Vector256.Load(Dy + o + c) - Vector256.Load(dyMean + c)) - xm * Vector256.Load(proj + c);
                        (d * Vector256.Load(scale + c)).Store(Dx + o + c);
                    }
                    for (; c < C; c++) Dx[o + c] = ((Dy[o + c] - dyMean[c]) - (X[o + c] - Mean[c]) * proj[c]) * scale[c];
                }
                else
                {
                    int c = r % C;
                    long o = (long)r * S;
                    float mean = Mean[c], a = scale[c], dm = dyMean[c], p = proj[c];
                    var (vm, va, vdm, vp) = (Vector256.Create(mean), Vector256.Create(a), Vector256.Create(dm), Vector256.Create(p));
                    int s = 0;
                    for (; s <= S - Lanes; s += Lanes)
                        (((Vector256.Load(Dy + o + s) - vdm) - (Vector256.Load(X + o + s) - vm) * vp) * va).Store(Dx + o + s);
                    for (; s < S; s++) Dx[o + s] = ((Dy[o + s] - dm) - (X[o + s] - mean) * p) * a;
                }
            }
        }
    }

    /// <summary>Scale[c] = γ[c]/√(runningVar[c] + eps), in double, for <see cref="Normalize"/> with the running statistics.</summary>
    public static void InferenceScale(float* gamma, float* runningVar, float eps, float* scale, int channels)
    {
        for (int c = 0; c < channels; c++) scale[c] = (float)(gamma[c] / Math.Sqrt(runningVar[c] + (double)eps));
    }

    /// <summary>
    /// Over the n planes of one channel (spatial values each, stride apart), in one pass: Single = Σ (a − shiftA) and,
    /// when b is given, Product = Σ (a − shiftA)·(b − shiftB); in double: lanes over each plane's positions, then the
    /// lanes, then the planes' tails.
    /// </summary>
    private static (double Single, double Product) Sums(float* a, double shiftA, float* b, double shiftB, int n, long stride, int spatial)
    {
        Vector256<double> lo = default, hi = default, productLo = default, productHi = default;
        var (va, vb) = (Vector256.Create(shiftA), Vector256.Create(shiftB));
        double tail = 0, productTail = 0;
        for (int i = 0; i < n; i++)
        {
            float* pa = a + i * stride, pb = b + i * stride;
            int s = 0;
            for (; s <= spatial - Lanes; s += Lanes)
            {
                var (al, ah) = Vector256.Widen(Vector256.Load(pa + s));
                (al, ah) = (al - va, ah - va);
                lo += al;
                hi += ah;
                if (b is null) continue;
                var (bl, bh) = Vector256.Widen(Vector256.Load(pb + s));
                productLo += al * (bl - vb);
                productHi += ah * (bh - vb);
            }
            for (; s < spatial; s++)
            {
                double d = pa[s] - shiftA;
                tail += d;
                if (b is not null) productTail += d * (pb[s] - shiftB);
            }
        }
        return (Vector256.Sum(lo + hi) + tail, Vector256.Sum(productLo + productHi) + productTail);
    }

    /// <summary>
    /// The same sums for <see cref="Lanes"/> neighbouring channels at once, over n rows channels apart (spatial = 1), with
    /// one shift per channel: each lane is its channel's in-order sum in double.
    /// </summary>
    private static ((Vector256<double> Lo, Vector256<double> Hi) Single, (Vector256<double> Lo, Vector256<double> Hi) Product) ColumnSums(
        float* a, (Vector256<double> Lo, Vector256<double> Hi) shiftA, float* b, (Vector256<double> Lo, Vector256<double> Hi) shiftB, int n, int channels)
    {
        Vector256<double> lo = default, hi = default, productLo = default, productHi = default;
        for (int i = 0; i < n; i++)
        {
            var (al, ah) = Vector256.Widen(Vector256.Load(a + (long)i * channels));
            (al, ah) = (al - shiftA.Lo, ah - shiftA.Hi);
            lo += al;
            hi += ah;
            if (b is null) continue;
            var (bl, bh) = Vector256.Widen(Vector256.Load(b + (long)i * channels));
            productLo += al * (bl - shiftB.Lo);
            productHi += ah * (bh - shiftB.Hi);
        }
        return ((lo, hi), (productLo, productHi));
    }

    private static double Lane((Vector256<double> Lo, Vector256<double> Hi) v, int j)
        => j < Vector256<double>.Count ? v.Lo.GetElement(j) : v.Hi.GetElement(j - Vector256<double>.Count);
}
