namespace CnnNative.Devices.Reference;

// Loss family: fused softmax cross-entropy, squared error, count correct.
internal sealed partial class ReferenceDevice
{
    protected override float SoftmaxCrossEntropyCore(int rows, int cols, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer gradient, float gradScale)
    {
        var zs = Span(logits);
        var ts = Span(targets);
        var gs = Span(gradient);
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

    protected override float SquaredErrorCore(int length, DeviceBuffer prediction, DeviceBuffer target, DeviceBuffer gradient, float gradScale)
    {
        var ps = Span(prediction);
        var ts = Span(target);
        var gs = Span(gradient);
        double sum = 0;
        for (int i = 0; i < length; i++)
        {
            double d = (double)ps[i] - ts[i];
            sum += d * d;
            gs[i] = (float)(gradScale * 2 * d);
        }
        return (float)sum;
    }

    protected override int CountCorrectCore(int rows, int cols, DeviceBuffer scores, DeviceBuffer targets)
    {
        var ss = Span(scores);
        var ts = Span(targets);
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
}
