using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Tensors;

namespace CnnNative.Tests.Layers;

/// <summary>
/// Finite-difference check of a layer's backward pass: with L = Σ y·r for a fixed random r, the analytic
/// dL/dx and dL/dθ from Backward(r) must match central differences (L(v+ε) − L(v−ε)) / 2ε of the forward pass.
/// </summary>
public static class GradientCheck
{
    public const float Epsilon = 1e-2f;

    /// <summary>Checks up to <paramref name="probes"/> input elements and as many per parameter.</summary>
    public static void Run(IDevice device, Layer layer, Shape inputShape, int batch, float[]? input = null, int probes = 24, int seed = 7)
    {
        using var model = new CnnNative.Training.Sequential(device, inputShape, seed);
        model.Add(layer);
        var rng = new Random(seed);
        var xShape = inputShape.WithBatch(batch);
        input ??= Enumerable.Range(0, xShape.Size).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
        using var x = Tensor.FromSpan(device, xShape, input);
        var yShape = layer.OutputShape.WithBatch(batch);
        var r = Enumerable.Range(0, yShape.Size).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
        using var rTensor = Tensor.FromSpan(device, yShape, r);

        foreach (var p in layer.Parameters) device.Fill(p.Gradient.Buffer, p.Length, 0);
        layer.Forward(x, training: true);
        var dx = layer.Backward(rTensor)!.ToArray();
        var paramGrads = layer.Parameters.Select(p => p.Gradient.ToArray()).ToArray();

        double Objective()
        {
            var y = layer.Forward(x, training: true).ToArray();
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)y[i] * r[i];
            return sum;
        }

        CheckTensor("input", x, dx, Objective, probes, rng, layer.Describe());
        for (int i = 0; i < paramGrads.Length; i++)
            CheckTensor(layer.Parameters[i].Name, layer.Parameters[i].Value, paramGrads[i], Objective, probes, rng, layer.Describe());
    }

    /// <summary>Perturbs sampled elements of <paramref name="tensor"/> and compares the slope of <paramref name="objective"/> with <paramref name="analytic"/>.</summary>
    public static void CheckTensor(string what, Tensor tensor, float[] analytic, Func<double> objective, int probes, Random rng, string context)
    {
        var values = tensor.ToArray();
        var indices = values.Length <= probes ? Enumerable.Range(0, values.Length) : Enumerable.Range(0, probes).Select(_ => rng.Next(values.Length));
        foreach (int i in indices)
        {
            float original = values[i];
            tensor.Device.Upload([original + Epsilon], tensor.Buffer, i);
            double plus = objective();
            tensor.Device.Upload([original - Epsilon], tensor.Buffer, i);
            double minus = objective();
            tensor.Device.Upload([original], tensor.Buffer, i);
            double numeric = (plus - minus) / (2 * Epsilon);
            double tolerance = 5e-3 + 2e-2 * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i]));
            Assert.That(analytic[i], Is.EqualTo(numeric).Within(tolerance),
                        $"{context} on {tensor.Device.Name}: d/d{what}[{i}] analytic {analytic[i]} vs numeric {numeric}");
        }
    }
}
