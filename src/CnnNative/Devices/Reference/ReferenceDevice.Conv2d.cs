namespace CnnNative.Devices.Reference;

// Conv2d family: forward, backward data, backward filter (cross-correlation, zero padding).
internal sealed partial class ReferenceDevice
{
    protected override void Conv2dForwardCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? bias, DeviceBuffer y)
    {
        var xs = Span(x);
        var ws = Span(w);
        var bs = bias is null ? default : Span(bias);
        var ys = Span(y);
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

    protected override void Conv2dBackwardDataCore(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        var dys = Span(dy);
        var ws = Span(w);
        var dxs = Span(dx);
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

    protected override void Conv2dBackwardFilterCore(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        var xs = Span(x);
        var dys = Span(dy);
        var dws = Span(dw);
        var dbs = db is null ? default : Span(db);
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
}
