namespace CnnNative.Devices.Reference;

// Pool2d family: max and average pooling, forward and backward.
internal sealed partial class ReferenceDevice
{
    protected override void Pool2dForwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer y)
    {
        var xs = Span(x);
        var ys = Span(y);
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

    protected override void Pool2dBackwardCore(in Pool2dGeometry g, PoolMode mode, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
    {
        var xs = Span(x);
        var dys = Span(dy);
        var dxs = Span(dx);
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
}
