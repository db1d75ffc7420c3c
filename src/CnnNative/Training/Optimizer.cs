using CnnNative.Layers;

namespace CnnNative.Training;

/// <summary>
/// Updates parameters from their gradients, on their device. Attach it to parameters (Compile does this),
/// then call Step after each Backward and ZeroGrad before the next (gradients accumulate, as in PyTorch).
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<Parameter> _parameters = [];

    protected Optimizer(float learningRate)
    {
        if (!(learningRate > 0) || float.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), $"Learning rate must be a positive number, got {learningRate}.");
        LearningRate = learningRate;
    }

    public float LearningRate { get; set; }

    /// <summary>How many steps have been taken.</summary>
    public int Steps { get; private set; }

    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Short description with the settings, e.g. "adam(lr=0.001)"; saved in model metadata.</summary>
    public abstract string Spec { get; }

    /// <summary>Takes charge of <paramref name="parameters"/>, allocating optimizer state beside each.</summary>
    public void Attach(IEnumerable<Parameter> parameters)
    {
        if (_parameters.Count > 0) throw new InvalidOperationException($"{Spec} is already attached to {_parameters.Count} parameters; create a new optimizer per model.");
        foreach (var p in parameters)
        {
            _parameters.Add(p);
            CreateState(p);
        }
    }

    public void Step()
    {
        if (_parameters.Count == 0) throw new InvalidOperationException($"{Spec} has no parameters: call model.Compile(optimizer, ...) or optimizer.Attach(model.Parameters) first.");
        Steps++;
        for (int i = 0; i < _parameters.Count; i++) Update(i, _parameters[i], Steps);
    }

    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.Gradient.Device.Fill(p.Gradient.Buffer, p.Length, 0f);
    }

    protected abstract void CreateState(Parameter parameter);
    protected abstract void Update(int index, Parameter parameter, int step);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    public override string ToString() => Spec;
}
