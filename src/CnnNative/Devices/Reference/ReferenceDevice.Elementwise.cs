namespace CnnNative.Devices.Reference;

// Elementwise family: fill, copy, axpy, scale, multiply, dropout.
internal sealed partial class ReferenceDevice
{
    protected override void FillCore(DeviceBuffer x, int length, float value)
    {
        var xs = Span(x);
        for (int i = 0; i < length; i++) xs[i] = value;
    }

    protected override void CopyCore(DeviceBuffer source, DeviceBuffer destination, int length)
    {
        var s = Span(source);
        var d = Span(destination);
        for (int i = 0; i < length; i++) d[i] = s[i];
    }

    protected override void AxpyCore(int length, float alpha, DeviceBuffer x, DeviceBuffer y)
    {
        var xs = Span(x);
        var ys = Span(y);
        for (int i = 0; i < length; i++) ys[i] += alpha * xs[i];
    }

    protected override void ScaleCore(int length, float alpha, DeviceBuffer x)
    {
        var xs = Span(x);
        for (int i = 0; i < length; i++) xs[i] *= alpha;
    }

    protected override void MultiplyCore(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y)
    {
        var av = Span(a);
        var bv = Span(b);
        var yv = Span(y);
        for (int i = 0; i < length; i++) yv[i] = av[i] * bv[i];
    }

    protected override void DropoutForwardCore(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask)
    {
        var xs = Span(x);
        var ys = Span(y);
        var ms = Span(mask);
        for (int i = 0; i < length; i++)
        {
            ms[i] = DropoutHash.Mask(seed, i, rate);
            ys[i] = xs[i] * ms[i];
        }
    }
}
