namespace CnnNative.Devices.Reference;

// BatchNorm family: batch normalization per channel, forward with the batch's or the running statistics, backward.
// x is (n, channels, spatial); element (i, c, s) is at (i·channels + c)·spatial + s.
internal sealed partial class ReferenceDevice
{
    protected override void BatchNormForwardTrainingCore(int n, int channels, int spatial, float eps, float momentum,
                                                         DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                         DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar)
    {
        var xs = Span(x);
        var ys = Span(y);
        long m = (long)n * spatial;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
                for (int s = 0; s < spatial; s++) sum += xs[At(i, c, s, channels, spatial)];
            double mean = sum / m;
            double squares = 0;
            for (int i = 0; i < n; i++)
                for (int s = 0; s < spatial; s++)
                {
                    double d = xs[At(i, c, s, channels, spatial)] - mean;
                    squares += d * d;
                }
            double variance = squares / m;
            double invStd = 1 / Math.Sqrt(variance + eps);
            double g = Span(gamma)[c], b = Span(beta)[c];
            for (int i = 0; i < n; i++)
                for (int s = 0; s < spatial; s++)
                {
                    int k = At(i, c, s, channels, spatial);
                    ys[k] = (float)((xs[k] - mean) * invStd * g + b);
                }
            Span(saveMean)[c] = (float)mean;
            Span(saveInvStd)[c] = (float)invStd;
            // The unbiased variance, as PyTorch keeps; a lone value per channel has no spread to correct.
            double unbiased = m > 1 ? squares / (m - 1) : 0;
            Span(runningMean)[c] = (float)((1 - (double)momentum) * Span(runningMean)[c] + momentum * mean);
            Span(runningVar)[c] = (float)((1 - (double)momentum) * Span(runningVar)[c] + momentum * unbiased);
        }
    }

    protected override void BatchNormForwardInferenceCore(int n, int channels, int spatial, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta,
                                                          DeviceBuffer runningMean, DeviceBuffer runningVar, DeviceBuffer y)
    {
        var xs = Span(x);
        var ys = Span(y);
        for (int c = 0; c < channels; c++)
        {
            double mean = Span(runningMean)[c];
            double invStd = 1 / Math.Sqrt(Span(runningVar)[c] + (double)eps);
            double g = Span(gamma)[c], b = Span(beta)[c];
            for (int i = 0; i < n; i++)
                for (int s = 0; s < spatial; s++)
                {
                    int k = At(i, c, s, channels, spatial);
                    ys[k] = (float)((xs[k] - mean) * invStd * g + b);
                }
        }
    }

    protected override void BatchNormBackwardCore(int n, int channels, int spatial, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer gamma,
                                                  DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta)
    {
        var xs = Span(x);
        var dys = Span(dy);
        var dxs = Span(dx);
        long m = (long)n * spatial;
        for (int c = 0; c < channels; c++)
        {
            double mean = Span(saveMean)[c], invStd = Span(saveInvStd)[c], g = Span(gamma)[c];
            double sumDy = 0, sumDyXhat = 0;
            for (int i = 0; i < n; i++)
                for (int s = 0; s < spatial; s++)
                {
                    int k = At(i, c, s, channels, spatial);
                    sumDy += dys[k];
                    sumDyXhat += dys[k] * ((xs[k] - mean) * invStd);
                }
            Span(dbeta)[c] += (float)sumDy;
            Span(dgamma)[c] += (float)sumDyXhat;
            for (int i = 0; i < n; i++)
                for (int s = 0; s < spatial; s++)
                {
                    int k = At(i, c, s, channels, spatial);
                    double xhat = (xs[k] - mean) * invStd;
                    dxs[k] = (float)(g * invStd / m * (m * (double)dys[k] - sumDy - xhat * sumDyXhat));
                }
        }
    }

    private static int At(int i, int c, int s, int channels, int spatial) => (i * channels + c) * spatial + s;
}
