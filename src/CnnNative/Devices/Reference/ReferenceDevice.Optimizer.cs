namespace CnnNative.Devices.Reference;

// Optimizer family: SGD (momentum, Nesterov, L2 weight decay) and Adam.
internal sealed partial class ReferenceDevice
{
    protected override void SgdStepCore(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                                        float lr, float momentum, float weightDecay, bool nesterov)
    {
        var ps = Span(param);
        var gs = Span(grad);
        var vs = velocity is null ? default : Span(velocity);
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

    protected override void AdamStepCore(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                                         float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        var ps = Span(param);
        var gs = Span(grad);
        var ms = Span(m);
        var vs = Span(v);
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
