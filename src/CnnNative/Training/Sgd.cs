using System.Globalization;
using CnnNative.Devices;
using CnnNative.Layers;

namespace CnnNative.Training;

/// <summary>Mini-batch gradient descent with optional momentum (classic or Nesterov) and L2 weight decay.</summary>
public sealed class Sgd : Optimizer
{
    private readonly List<DeviceBuffer?> _velocity = [];

    /// <summary>Plain SGD by default; momentum, weight decay and Nesterov as PyTorch's SGD.</summary>
    /// <param name="lr">Learning rate, positive.</param>
    /// <param name="momentum">Velocity kept from step to step, in [0, 1).</param>
    /// <param name="weightDecay">L2 penalty added to each gradient (weight·decay), non-negative.</param>
    /// <param name="nesterov">Nesterov momentum (needs momentum above 0).</param>
    public Sgd(float lr = 0.01f, float momentum = 0f, float weightDecay = 0f, bool nesterov = false) : base(lr)
    {
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), $"Momentum must be in [0, 1), got {momentum}.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"Weight decay must be non-negative, got {weightDecay}.");
        if (nesterov && momentum == 0) throw new ArgumentException("Nesterov momentum needs momentum > 0.", nameof(nesterov));
        (Momentum, WeightDecay, Nesterov) = (momentum, weightDecay, nesterov);
    }

    /// <summary>Velocity kept from step to step (0: plain gradient descent).</summary>
    public float Momentum { get; }
    /// <summary>L2 penalty: weight·decay is added to each gradient before the step.</summary>
    public float WeightDecay { get; }
    /// <summary>Whether the step looks ahead along the velocity (Nesterov momentum).</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    public override string Spec => string.Create(CultureInfo.InvariantCulture,
        $"sgd(lr={LearningRate},momentum={Momentum},weight_decay={WeightDecay}{(Nesterov ? ",nesterov" : "")})");

    /// <inheritdoc/>
    protected override void CreateState(Parameter p)
        => _velocity.Add(Momentum != 0 ? p.Value.Device.Allocate(p.Length) : null);

    /// <inheritdoc/>
    protected override void Update(int index, Parameter p, int step)
        => p.Value.Device.SgdStep(p.Length, p.Value.Buffer, p.Gradient.Buffer, _velocity[index], LearningRate, Momentum, WeightDecay, Nesterov);

    /// <inheritdoc/>
    protected override IEnumerable<(string Kind, DeviceBuffer Buffer)> State(int index)
    {
        if (_velocity[index] is { } velocity) yield return ("velocity", velocity);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        foreach (var v in _velocity) v?.Dispose();
        base.Dispose();
    }
}
