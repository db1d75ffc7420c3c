using System.Globalization;
using CnnNative.Devices;
using CnnNative.Layers;

namespace CnnNative.Training;

/// <summary>Adam (Kingma &amp; Ba 2015) with bias correction and optional L2 weight decay.</summary>
public sealed class Adam : Optimizer
{
    private readonly List<(DeviceBuffer m, DeviceBuffer v)> _moments = [];

    /// <summary>Adam with PyTorch's defaults.</summary>
    /// <param name="lr">Learning rate (step size), positive.</param>
    /// <param name="beta1">Decay of the running mean of gradients, in [0, 1).</param>
    /// <param name="beta2">Decay of the running mean of squared gradients, in [0, 1).</param>
    /// <param name="eps">Added to the root of the second moment, positive.</param>
    /// <param name="weightDecay">L2 penalty added to each gradient (weight·decay), non-negative.</param>
    public Adam(float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f) : base(lr)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"beta2 must be in [0, 1), got {beta2}.");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"eps must be positive, got {eps}.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"Weight decay must be non-negative, got {weightDecay}.");
        (Beta1, Beta2, Eps, WeightDecay) = (beta1, beta2, eps, weightDecay);
    }

    /// <summary>Decay of the running mean of gradients (first moment).</summary>
    public float Beta1 { get; }
    /// <summary>Decay of the running mean of squared gradients (second moment).</summary>
    public float Beta2 { get; }
    /// <summary>Added to the second moment's root so a step never divides by zero.</summary>
    public float Eps { get; }
    /// <summary>L2 penalty: weight·decay is added to each gradient before the step.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public override string Spec => string.Create(CultureInfo.InvariantCulture,
        $"adam(lr={LearningRate},beta1={Beta1},beta2={Beta2},eps={Eps},weight_decay={WeightDecay})");

    /// <inheritdoc/>
    protected override void CreateState(Parameter p)
    {
        var device = p.Value.Device;
        _moments.Add((device.Allocate(p.Length), device.Allocate(p.Length)));
    }

    /// <inheritdoc/>
    protected override void Update(int index, Parameter p, int step)
    {
        var (m, v) = _moments[index];
        p.Value.Device.AdamStep(p.Length, p.Value.Buffer, p.Gradient.Buffer, m, v, LearningRate, Beta1, Beta2, Eps, WeightDecay, step);
    }

    /// <inheritdoc/>
    protected override IEnumerable<(string Kind, DeviceBuffer Buffer)> State(int index)
    {
        yield return ("m", _moments[index].m);
        yield return ("v", _moments[index].v);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        foreach (var (m, v) in _moments) { m.Dispose(); v.Dispose(); }
        base.Dispose();
    }
}
