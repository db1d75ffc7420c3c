namespace CnnNative.Devices.OpenCL;

// Element-wise ops, dropout, bias rows and the optimizer steps: one work-item per element.
public sealed partial class OpenClDevice
{
    public void Fill(DeviceBuffer x, int length, float value)
    {
        Checks.NonNegative(length, nameof(Fill));
        nint xm = Use(x, length, nameof(Fill));
        lock (_gate)
        {
            var k = new Launch(this, "fill");
            k.Int(length); k.Float(value); k.Mem(xm);
            k.Run1(length);
        }
    }

    public void Copy(DeviceBuffer source, DeviceBuffer destination, int length)
    {
        Checks.NonNegative(length, nameof(Copy));
        nint s = Use(source, length, nameof(Copy)), d = Use(destination, length, nameof(Copy));
        if (s == d) return;
        lock (_gate)
        {
            var k = new Launch(this, "copy");
            k.Int(length); k.Mem(s); k.Mem(d);
            k.Run1(length);
        }
    }

    public void Axpy(int length, float alpha, DeviceBuffer x, DeviceBuffer y)
    {
        Checks.NonNegative(length, nameof(Axpy));
        nint xm = Use(x, length, nameof(Axpy)), ym = Use(y, length, nameof(Axpy));
        lock (_gate)
        {
            var k = new Launch(this, "axpy");
            k.Int(length); k.Float(alpha); k.Mem(xm); k.Mem(ym);
            k.Run1(length);
        }
    }

    public void Scale(int length, float alpha, DeviceBuffer x)
    {
        Checks.NonNegative(length, nameof(Scale));
        nint xm = Use(x, length, nameof(Scale));
        lock (_gate)
        {
            var k = new Launch(this, "scale");
            k.Int(length); k.Float(alpha); k.Mem(xm);
            k.Run1(length);
        }
    }

    public void Multiply(int length, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y)
    {
        Checks.NonNegative(length, nameof(Multiply));
        nint am = Use(a, length, nameof(Multiply)), bm = Use(b, length, nameof(Multiply)), ym = Use(y, length, nameof(Multiply));
        lock (_gate)
        {
            var k = new Launch(this, "multiply");
            k.Int(length); k.Mem(am); k.Mem(bm); k.Mem(ym);
            k.Run1(length);
        }
    }

    public void ActivationForward(Activation f, int length, DeviceBuffer x, DeviceBuffer y)
    {
        int code = ActivationCode(f);
        Checks.NonNegative(length, nameof(ActivationForward));
        nint xm = Use(x, length, nameof(ActivationForward)), ym = Use(y, length, nameof(ActivationForward));
        lock (_gate)
        {
            var k = new Launch(this, "activation_forward");
            k.Int(length); k.Int(code); k.Mem(xm); k.Mem(ym);
            k.Run1(length);
        }
    }

    public void ActivationBackward(Activation f, int length, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx)
    {
        int code = ActivationCode(f);
        Checks.NonNegative(length, nameof(ActivationBackward));
        nint ym = Use(y, length, nameof(ActivationBackward)), dym = Use(dy, length, nameof(ActivationBackward)),
             dxm = Use(dx, length, nameof(ActivationBackward));
        lock (_gate)
        {
            var k = new Launch(this, "activation_backward");
            k.Int(length); k.Int(code); k.Mem(ym); k.Mem(dym); k.Mem(dxm);
            k.Run1(length);
        }
    }

    private static int ActivationCode(Activation f) => f switch
    {
        Activation.ReLU => 0,
        Activation.Sigmoid => 1,
        Activation.Tanh => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, $"Unknown activation {f}."),
    };

    public void DropoutForward(int length, float rate, uint seed, DeviceBuffer x, DeviceBuffer y, DeviceBuffer mask)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentOutOfRangeException(nameof(rate), $"DropoutForward: rate must be in [0, 1), got {rate}.");
        Checks.NonNegative(length, nameof(DropoutForward));
        nint xm = Use(x, length, nameof(DropoutForward)), ym = Use(y, length, nameof(DropoutForward)), mm = Use(mask, length, nameof(DropoutForward));
        float keepScale = 1.0f / (1.0f - rate);  // exactly as DropoutHash.Mask computes it
        lock (_gate)
        {
            var k = new Launch(this, "dropout_forward");
            k.Int(length); k.Float(rate); k.Uint(seed); k.Float(keepScale); k.Mem(xm); k.Mem(ym); k.Mem(mm);
            k.Run1(length);
        }
    }

    public void AddBiasRows(int rows, int cols, DeviceBuffer bias, DeviceBuffer y)
    {
        Checks.NonNegative(rows, nameof(AddBiasRows)); Checks.NonNegative(cols, nameof(AddBiasRows));
        nint bm = Use(bias, cols, nameof(AddBiasRows)), ym = Use(y, (long)rows * cols, nameof(AddBiasRows));
        lock (_gate)
        {
            var k = new Launch(this, "add_bias_rows");
            k.Int(rows); k.Int(cols); k.Mem(bm); k.Mem(ym);
            k.RunRows(cols, rows, 1);
        }
    }

    public void SumRows(int rows, int cols, DeviceBuffer x, DeviceBuffer sums)
    {
        Checks.NonNegative(rows, nameof(SumRows)); Checks.NonNegative(cols, nameof(SumRows));
        nint xm = Use(x, (long)rows * cols, nameof(SumRows)), sm = Use(sums, cols, nameof(SumRows));
        lock (_gate)
        {
            var k = new Launch(this, "sum_rows");
            k.Int(rows); k.Int(cols); k.Mem(xm); k.Mem(sm);
            k.Run1(cols);
        }
    }

    // ---------------------------------------------------------------- optimizers

    public void SgdStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity,
                        float lr, float momentum, float weightDecay, bool nesterov)
    {
        Checks.NonNegative(length, nameof(SgdStep));
        nint pm = Use(param, length, nameof(SgdStep)), gm = Use(grad, length, nameof(SgdStep));
        nint vm = momentum != 0 ? Use(velocity!, length, nameof(SgdStep)) : _dummy.Handle;
        lock (_gate)
        {
            var k = new Launch(this, "sgd_step");
            k.Int(length); k.Mem(pm); k.Mem(gm); k.Mem(vm); k.Float(lr); k.Float(momentum); k.Float(weightDecay); k.Int(nesterov ? 1 : 0);
            k.Run1(length);
        }
    }

    public void AdamStep(int length, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v,
                         float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        Checks.Positive(step, nameof(AdamStep));
        Checks.NonNegative(length, nameof(AdamStep));
        nint pm = Use(param, length, nameof(AdamStep)), gm = Use(grad, length, nameof(AdamStep)),
             mm = Use(m, length, nameof(AdamStep)), vm = Use(v, length, nameof(AdamStep));
        double c1 = 1 - Math.Pow(beta1, step), c2 = 1 - Math.Pow(beta2, step);
        lock (_gate)
        {
            var k = new Launch(this, "adam_step");
            k.Int(length); k.Mem(pm); k.Mem(gm); k.Mem(mm); k.Mem(vm);
            k.Float(lr); k.Float(beta1); k.Float(beta2); k.Float(eps); k.Float(weightDecay); k.Float((float)(1 / c1)); k.Float((float)(1 / c2));
            k.Run1(length);
        }
    }
}
