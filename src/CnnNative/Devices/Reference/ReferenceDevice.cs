namespace CnnNative.Devices.Reference;

/// <summary>
/// The oracle: every op written as the plainest loops that can be read against the formula, with double
/// accumulators. Slow on purpose; every other device is tested against it, and it is usable as a device
/// ("reference") for tiny models and for debugging.
/// </summary>
public sealed class ReferenceDevice : HostDevice, IDevice
{
    public ReferenceDevice() : base("reference")
    {
        Info = new DeviceInfo("reference", "reference", "scalar C# oracle (double accumulators, one thread)", 1, 0,
                              new Dictionary<string, string>());
    }

    public DeviceInfo Info { get; }

    // ---------------------------------------------------------------- element-wise

    public void Fill(DeviceBuffer x, int length, float value)
    {
        var xs = Host(x, length, nameof(Fill));
        for (int i = 0; i < length; i++) xs[i] = value;
    }

    public void Copy(DeviceBuffer source, DeviceBuffer destination, int length)
    {
        var s = Host(source, length, nameof(Copy));
        var d = Host(destination, length, nameof(Copy));
        for (int i = 0; i < length; i++) d[i] = s[i];
    }

    public void Axpy(int length, float alpha, DeviceBuffer x, DeviceBuffer y)
    {
        var xs = Host(x, length, nameof(Axpy));
        var ys = Host(y, length, nameof(Axpy));
        for (int i = 0; i < length; i++) ys[i] += alpha * xs[i];
    }

    public void Scale(int length, float alpha, DeviceBuffer x)
    {
        var xs = Host(x, length, nameof(Scale));
        for (int i = 0; i < length; i++) xs[i] *= alpha;
    }

    public void Multiply(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y)
    {
        var av = Host(a, length, nameof(Multiply));
        var bv = Host(b, length, nameof(Multiply));
        var yv = Host(y, length, nameof(Multiply));
        for (int i = 0; i < length; i++) yv[i] = av[i] * bv[i];
    }

    public void ActivationForward(Activation f, int length, DeviceBuffer x, DeviceBuffer y)
    {
        var xs = Host(x, length, nameof(ActivationForward));
        var ys = Host(y, length, nameof(ActivationForward));
        for (int i = 0; i < length; i++)
        {
            float v = xs[i];
            ys[i] = f switch
            {
                Activation.ReLU => v > 0 ? v : 0,
                Activation.Sigmoid => (float)(1.0 / (1.0 + Math.Exp(-v))),
                Activation.Tanh => (float)Math.Tanh(v),
                _ => throw new ArgumentOutOfRangeException(nameof(f)),
            };
        }
    }

    public void ActivationBackward(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        var ys = Host(y, length, nameof(ActivationBackward));
        var dys = Host(dy, length, nameof(ActivationBackward));
        var dxs = Host(dx, length, nameof(ActivationBackward));
        for (int i = 0; i < length; i++)
        {
            float v = ys[i];
            float d = f switch
            {
                Activation.ReLU => v > 0 ? 1 : 0,
                Activation.Sigmoid => v * (1 - v),
                Activation.Tanh => 1 - v * v,
                _ => throw new ArgumentOutOfRangeException(nameof(f)),
            };
            dxs[i] = dys[i] * d;
        }
    }

    public void DropoutForward(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentOutOfRangeException(nameof(rate), $"DropoutForward: rate must be in [0, 1), got {rate}.");
        var xs = Host(x, length, nameof(DropoutForward));
        var ys = Host(y, length, nameof(DropoutForward));
        var ms = Host(mask, length, nameof(DropoutForward));
        for (int i = 0; i < length; i++)
        {
            ms[i] = DropoutHash.Mask(seed, i, rate);
            ys[i] = xs[i] * ms[i];
        }
    }

    // ---------------------------------------------------------------- dense

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
    {
        Checks.NonNegative(m, nameof(Gemm)); Checks.NonNegative(n, nameof(Gemm)); Checks.NonNegative(k, nameof(Gemm));
        var av = Host(a, (long)m * k, nameof(Gemm));
        var bv = Host(b, (long)k * n, nameof(Gemm));
        var cv = Host(c, (long)m * n, nameof(Gemm));
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float aip = transA ? av[p * m + i] : av[i * k + p];
                    float bpj = transB ? bv[j * k + p] : bv[p * n + j];
                    sum += (double)aip * bpj;
                }
                float old = beta == 0 ? 0 : beta * cv[i * n + j];
                cv[i * n + j] = (float)(alpha * sum) + old;
            }
    }

    public void AddBiasRows(int rows, int cols, DeviceBuffer bias, DeviceBuffer y)
    {
        var bs = Host(bias, cols, nameof(AddBiasRows));
        var ys = Host(y, (long)rows * cols, nameof(AddBiasRows));
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) ys[r * cols + j] += bs[j];
    }

    public void SumRows(int rows, int cols, DeviceBuffer x, DeviceBuffer sums)
    {
        var xs = Host(x, (long)rows * cols, nameof(SumRows));
        var ss = Host(sums, cols, nameof(SumRows));
        for (int j = 0; j < cols; j++)
        {
            double s = 0;
            for (int r = 0; r < rows; r++) s += xs[r * cols + j];
            ss[j] += (float)s;
        }
    }

    // ---------------------------------------------------------------- convolution

    public void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y)
    {
        var xs = Host(x, g.InputLength, nameof(Conv2dForward));
        var ws = Host(w, g.FilterLength, nameof(Conv2dForward));
        var bs = bias is null ? default : Host(bias, g.K, nameof(Conv2dForward));
        var ys = Host(y, g.OutputLength, nameof(Conv2dForward));
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int p = 0; p < g.P; p++)
                    for (int q = 0; q < g.Q; q++)
                    {
                        double sum = bias is null ? 0 : bs[k];
                        for (int c = 0; c < g.C; c++)
                            for (int r = 0; r < g.R; r++)
                            {
                                int h = p * g.StrideH - g.PadH + r;
                                if ((uint)h >= (uint)g.H) continue;
                                for (int s = 0; s < g.S; s++)
                                {
                                    int wi = q * g.StrideW - g.PadW + s;
                                    if ((uint)wi >= (uint)g.W) continue;
                                    sum += (double)xs[((n * g.C + c) * g.H + h) * g.W + wi] * ws[((k * g.C + c) * g.R + r) * g.S + s];
                                }
                            }
                        ys[((n * g.K + k) * g.P + p) * g.Q + q] = (float)sum;
                    }
    }

    public void Conv2dBackwardData(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        var dys = Host(dy, g.OutputLength, nameof(Conv2dBackwardData));
        var ws = Host(w, g.FilterLength, nameof(Conv2dBackwardData));
        var dxs = Host(dx, g.InputLength, nameof(Conv2dBackwardData));
        var acc = new double[g.InputLength];
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int p = 0; p < g.P; p++)
                    for (int q = 0; q < g.Q; q++)
                    {
                        double d = dys[((n * g.K + k) * g.P + p) * g.Q + q];
                        for (int c = 0; c < g.C; c++)
                            for (int r = 0; r < g.R; r++)
                            {
                                int h = p * g.StrideH - g.PadH + r;
                                if ((uint)h >= (uint)g.H) continue;
                                for (int s = 0; s < g.S; s++)
                                {
                                    int wi = q * g.StrideW - g.PadW + s;
                                    if ((uint)wi >= (uint)g.W) continue;
                                    acc[((n * g.C + c) * g.H + h) * g.W + wi] += d * ws[((k * g.C + c) * g.R + r) * g.S + s];
                                }
                            }
                    }
        for (int i = 0; i < acc.Length; i++) dxs[i] = (float)acc[i];
    }

    public void Conv2dBackwardFilter(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        var xs = Host(x, g.InputLength, nameof(Conv2dBackwardFilter));
        var dys = Host(dy, g.OutputLength, nameof(Conv2dBackwardFilter));
        var dws = Host(dw, g.FilterLength, nameof(Conv2dBackwardFilter));
        var dbs = db is null ? default : Host(db, g.K, nameof(Conv2dBackwardFilter));
        for (int k = 0; k < g.K; k++)
        {
            for (int c = 0; c < g.C; c++)
                for (int r = 0; r < g.R; r++)
                    for (int s = 0; s < g.S; s++)
                    {
                        double sum = 0;
                        for (int n = 0; n < g.N; n++)
                            for (int p = 0; p < g.P; p++)
                            {
                                int h = p * g.StrideH - g.PadH + r;
                                if ((uint)h >= (uint)g.H) continue;
                                for (int q = 0; q < g.Q; q++)
                                {
                                    int wi = q * g.StrideW - g.PadW + s;
                                    if ((uint)wi >= (uint)g.W) continue;
                                    sum += (double)xs[((n * g.C + c) * g.H + h) * g.W + wi] * dys[((n * g.K + k) * g.P + p) * g.Q + q];
                                }
                            }
                        dws[((k * g.C + c) * g.R + r) * g.S + s] += (float)sum;
                    }
            if (db is not null)
            {
                double bsum = 0;
                for (int n = 0; n < g.N; n++)
                    for (int i = 0; i < g.P * g.Q; i++) bsum += dys[(n * g.K + k) * g.P * g.Q + i];
                dbs[k] += (float)bsum;
            }
        }
    }

    // ---------------------------------------------------------------- pooling

    public void Pool2dForward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y)
    {
        var xs = Host(x, g.InputLength, nameof(Pool2dForward));
        var ys = Host(y, g.OutputLength, nameof(Pool2dForward));
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int p = 0; p < g.P; p++)
                for (int q = 0; q < g.Q; q++)
                {
                    double acc = mode == PoolMode.Max ? double.NegativeInfinity : 0;
                    for (int r = 0; r < g.R; r++)
                        for (int s = 0; s < g.S; s++)
                        {
                            float v = xs[(nc * g.H + p * g.StrideH + r) * g.W + q * g.StrideW + s];
                            if (mode == PoolMode.Max) { if (v > acc || double.IsNaN(v)) acc = v; }
                            else acc += v;
                        }
                    ys[(nc * g.P + p) * g.Q + q] = mode == PoolMode.Max ? (float)acc : (float)(acc / (g.R * g.S));
                }
    }

    public void Pool2dBackward(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
    {
        var xs = Host(x, g.InputLength, nameof(Pool2dBackward));
        var dys = Host(dy, g.OutputLength, nameof(Pool2dBackward));
        var dxs = Host(dx, g.InputLength, nameof(Pool2dBackward));
        dxs.Slice(0, g.InputLength).Clear();
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int p = 0; p < g.P; p++)
                for (int q = 0; q < g.Q; q++)
                {
                    float d = dys[(nc * g.P + p) * g.Q + q];
                    int h0 = p * g.StrideH, w0 = q * g.StrideW;
                    if (mode == PoolMode.Average)
                    {
                        float share = d / (g.R * g.S);
                        for (int r = 0; r < g.R; r++)
                            for (int s = 0; s < g.S; s++) dxs[(nc * g.H + h0 + r) * g.W + w0 + s] += share;
                        continue;
                    }
                    int best = (nc * g.H + h0) * g.W + w0;
                    for (int r = 0; r < g.R; r++)
                        for (int s = 0; s < g.S; s++)
                        {
                            int i = (nc * g.H + h0 + r) * g.W + w0 + s;
                            if (xs[i] > xs[best]) best = i;
                        }
                    dxs[best] += d;
                }
    }

    // ---------------------------------------------------------------- softmax and losses

    public void SoftmaxForward(int rows, int cols, DeviceBuffer x, DeviceBuffer y)
    {
        var xs = Host(x, (long)rows * cols, nameof(SoftmaxForward));
        var ys = Host(y, (long)rows * cols, nameof(SoftmaxForward));
        for (int r = 0; r < rows; r++)
        {
            var row = xs.Slice(r * cols, cols);
            float max = float.NegativeInfinity;
            foreach (float v in row) max = Math.Max(max, v);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.Exp(row[j] - max);
            for (int j = 0; j < cols; j++) ys[r * cols + j] = (float)(Math.Exp(row[j] - max) / sum);
        }
    }

    public void SoftmaxBackward(int rows, int cols, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        var ys = Host(y, (long)rows * cols, nameof(SoftmaxBackward));
        var dys = Host(dy, (long)rows * cols, nameof(SoftmaxBackward));
        var dxs = Host(dx, (long)rows * cols, nameof(SoftmaxBackward));
        for (int r = 0; r < rows; r++)
        {
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += (double)dys[r * cols + j] * ys[r * cols + j];
            for (int j = 0; j < cols; j++) dxs[r * cols + j] = (float)(ys[r * cols + j] * (dys[r * cols + j] - dot));
        }
    }

    public float SoftmaxCrossEntropy(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale)
    {
        var zs = Host(logits, (long)rows * cols, nameof(SoftmaxCrossEntropy));
        var ts = Host(targets, (long)rows * cols, nameof(SoftmaxCrossEntropy));
        var gs = Host(gradient, (long)rows * cols, nameof(SoftmaxCrossEntropy));
        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            float max = float.NegativeInfinity;
            for (int j = 0; j < cols; j++) max = Math.Max(max, zs[r * cols + j]);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.Exp(zs[r * cols + j] - max);
            double logSum = Math.Log(sum) + max;
            for (int j = 0; j < cols; j++)
            {
                double logp = zs[r * cols + j] - logSum;
                loss -= ts[r * cols + j] * logp;
                gs[r * cols + j] = (float)(gradScale * (Math.Exp(logp) - ts[r * cols + j]));
            }
        }
        return (float)loss;
    }

    public float SquaredError(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale)
    {
        var ps = Host(prediction, length, nameof(SquaredError));
        var ts = Host(target, length, nameof(SquaredError));
        var gs = Host(gradient, length, nameof(SquaredError));
        double sum = 0;
        for (int i = 0; i < length; i++)
        {
            double d = (double)ps[i] - ts[i];
            sum += d * d;
            gs[i] = (float)(gradScale * 2 * d);
        }
        return (float)sum;
    }

    public int CountCorrect(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets)
    {
        var ss = Host(scores, (long)rows * cols, nameof(CountCorrect));
        var ts = Host(targets, (long)rows * cols, nameof(CountCorrect));
        int correct = 0;
        for (int r = 0; r < rows; r++)
            if (ArgMax(ss.Slice(r * cols, cols)) == ArgMax(ts.Slice(r * cols, cols))) correct++;
        return correct;
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }

    // ---------------------------------------------------------------- optimizers

    public void SgdStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                        float lr, float momentum, float weightDecay, bool nesterov)
    {
        var ps = Host(param, length, nameof(SgdStep));
        var gs = Host(grad, length, nameof(SgdStep));
        var vs = momentum != 0 ? Host(velocity!, length, nameof(SgdStep)) : default;
        for (int i = 0; i < length; i++)
        {
            float g = gs[i] + weightDecay * ps[i];
            if (momentum != 0)
            {
                vs[i] = momentum * vs[i] + g;
                g = nesterov ? g + momentum * vs[i] : vs[i];
            }
            ps[i] -= lr * g;
        }
    }

    public void AdamStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                         float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        Checks.Positive(step, nameof(AdamStep));
        var ps = Host(param, length, nameof(AdamStep));
        var gs = Host(grad, length, nameof(AdamStep));
        var ms = Host(m, length, nameof(AdamStep));
        var vs = Host(v, length, nameof(AdamStep));
        double c1 = 1 - Math.Pow(beta1, step), c2 = 1 - Math.Pow(beta2, step);
        for (int i = 0; i < length; i++)
        {
            float g = gs[i] + weightDecay * ps[i];
            ms[i] = beta1 * ms[i] + (1 - beta1) * g;
            vs[i] = beta2 * vs[i] + (1 - beta2) * g * g;
            double mhat = ms[i] / c1, vhat = vs[i] / c2;
            ps[i] -= (float)(lr * mhat / (Math.Sqrt(vhat) + eps));
        }
    }
}
