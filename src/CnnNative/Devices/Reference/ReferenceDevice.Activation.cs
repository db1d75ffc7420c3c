namespace CnnNative.Devices.Reference;

// Activation family: ReLU, sigmoid, tanh, forward and backward.
internal sealed partial class ReferenceDevice
{
    protected override void ActivationForwardCore(Activation f, int length, DeviceBuffer x, DeviceBuffer y)
    {
        var xs = Span(x);
        var ys = Span(y);
        for (int i = 0; i < length; i++)
        {
            float v = xs[i];
            ys[i] = f switch
            {
                Activation.ReLU => v > 0 ? v : 0,
                Activation.Sigmoid => (float)(1.0 / (1.0 + Math.Exp(-v))),
                _ => (float)Math.Tanh(v),
            };
        }
    }

    protected override void ActivationBackwardCore(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        var ys = Span(y);
        var dys = Span(dy);
        var dxs = Span(dx);
        for (int i = 0; i < length; i++)
        {
            float v = ys[i];
            float d = f switch
            {
                Activation.ReLU => v > 0 ? 1 : 0,
                Activation.Sigmoid => v * (1 - v),
                _ => 1 - v * v,
            };
            dxs[i] = dys[i] * d;
        }
    }
}
