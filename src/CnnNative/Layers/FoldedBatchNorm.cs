using System.Buffers;
using CnnNative.Devices;

namespace CnnNative.Layers;

/// <summary>
/// A convolution's filters (or a dense layer's weights, a row per unit) and bias with the batch normalization after it
/// folded in, for inference: with s = γ/√(running var + eps) per filter, w'[k] = w[k]·s[k] and
/// b'[k] = (b[k] − running mean[k])·s[k] + β[k], so conv(x, w') + b' is the normalized convolution in one op (as ONNX
/// Runtime's graph optimizer folds it).
/// </summary>
/// <remarks>
/// The folded copy is made on the host (a few thousand values) when first asked for and again whenever any of the six
/// sources changed (<see cref="DeviceBuffer.Version"/>: a training step, an upload, a load), so inference after
/// training folds once. Calls are serialized by a lock, so concurrent passes never see half a refresh; a pass that runs
/// while another thread trains the same model sees weights from either step, as without folding.
/// </remarks>
internal sealed class FoldedBatchNorm(BatchNorm norm) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly long[] _versions = new long[6];
    private DeviceBuffer? _weight, _bias;

    /// <summary>The folded filters and bias for <paramref name="weight"/> and <paramref name="bias"/> (null: none), current.</summary>
    public (DeviceBuffer Weight, DeviceBuffer Bias) Get(Parameter weight, Parameter? bias)
    {
        lock (_gate)
        {
            Span<long> now = stackalloc long[6];
            now[0] = weight.Value.Buffer.Version;
            now[1] = bias?.Value.Buffer.Version ?? 0;
            now[2] = norm.Weight.Value.Buffer.Version;
            now[3] = norm.Bias.Value.Buffer.Version;
            now[4] = norm.RunningMean.Value.Buffer.Version;
            now[5] = norm.RunningVar.Value.Buffer.Version;
            if (_weight is null || !now.SequenceEqual(_versions)) Refresh(weight, bias, now);
            return (_weight!, _bias!);
        }
    }

    private void Refresh(Parameter weight, Parameter? bias, ReadOnlySpan<long> versions)
    {
        var device = weight.Value.Device;
        int k = norm.Weight.Length, length = weight.Length, perFilter = length / k;
        _weight ??= device.Allocate(length);
        _bias ??= device.Allocate(k);
        float[] w = ArrayPool<float>.Shared.Rent(length), stats = ArrayPool<float>.Shared.Rent(5 * k);
        try
        {
            device.Download(weight.Value.Buffer, w.AsSpan(0, length));
            Span<float> b = stats.AsSpan(0, k), gamma = stats.AsSpan(k, k), beta = stats.AsSpan(2 * k, k),
                        mean = stats.AsSpan(3 * k, k), variance = stats.AsSpan(4 * k, k);
            if (bias is null) b.Clear();
            else device.Download(bias.Value.Buffer, b);
            device.Download(norm.Weight.Value.Buffer, gamma);
            device.Download(norm.Bias.Value.Buffer, beta);
            device.Download(norm.RunningMean.Value.Buffer, mean);
            device.Download(norm.RunningVar.Value.Buffer, variance);
            for (int f = 0; f < k; f++)
            {
                double s = gamma[f] / Math.Sqrt((double)variance[f] + norm.Eps);
                for (int i = f * perFilter; i < (f + 1) * perFilter; i++) w[i] = (float)(w[i] * s);
                b[f] = (float)((b[f] - (double)mean[f]) * s + beta[f]);
            }
            device.Upload(w.AsSpan(0, length), _weight);
            device.Upload(b, _bias);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(w);
            ArrayPool<float>.Shared.Return(stats);
        }
        versions.CopyTo(_versions);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _weight?.Dispose();
            _bias?.Dispose();
            (_weight, _bias) = (null, null);
        }
    }
}
