using CnnNative.Devices;
using CnnNative.Layers;

namespace CnnNative.Training;

/// <summary>
/// Updates parameters from their gradients, on their device. Attach it to parameters (Compile does this),
/// then call Step after each Backward and ZeroGrad before the next (gradients accumulate, as in PyTorch).
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<Parameter> _parameters = [];

    /// <summary>An optimizer stepping at <paramref name="learningRate"/> (positive and finite).</summary>
    protected Optimizer(float learningRate)
    {
        if (!(learningRate > 0) || float.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), $"Learning rate must be a positive number, got {learningRate}.");
        LearningRate = learningRate;
    }

    /// <summary>The step size of the next <see cref="Step"/>; Fit sets it every step from the schedule.</summary>
    public float LearningRate { get; set; }

    /// <summary>How many steps have been taken.</summary>
    public int Steps { get; private set; }

    /// <summary>The parameters this optimizer updates (empty until <see cref="Attach"/>).</summary>
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

    /// <summary>Updates every attached parameter from its accumulated gradient and counts the step.</summary>
    public void Step()
    {
        if (_parameters.Count == 0) throw new InvalidOperationException($"{Spec} has no parameters: call model.Compile(optimizer, ...) or optimizer.Attach(model.Parameters) first.");
        Steps++;
        for (int i = 0; i < _parameters.Count; i++) Update(i, _parameters[i], Steps);
    }

    /// <summary>Sets every attached parameter's gradient to zero (gradients accumulate across Backward calls).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGradient(); // filled when next read, or overwritten by the op that computes it
    }

    /// <summary>
    /// Copies the optimizer's state to the host: one array per parameter and kind, named like
    /// "conv2d_1.weight.m" (Adam's m and v, SGD's "velocity"). With <see cref="Steps"/> it is all that training
    /// needs to continue exactly where it was (a checkpoint).
    /// </summary>
    public Dictionary<string, float[]> ExportState()
    {
        var state = new Dictionary<string, float[]>();
        for (int i = 0; i < _parameters.Count; i++)
            foreach (var (kind, buffer) in State(i))
            {
                var values = new float[_parameters[i].Length];
                buffer.Device.Download(buffer, values);
                state[$"{_parameters[i].Name}.{kind}"] = values;
            }
        return state;
    }

    /// <summary>
    /// Restores what <see cref="ExportState"/> gave, and the step count, onto the parameters this optimizer
    /// is attached to. Every array must be there with the right length, and nothing else.
    /// </summary>
    /// <exception cref="ArgumentException">An array is missing, has the wrong length or belongs to nothing here.</exception>
    public void ImportState(IReadOnlyDictionary<string, float[]> state, int steps)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var expected = new List<(string Name, DeviceBuffer Buffer, int Length)>();
        for (int i = 0; i < _parameters.Count; i++)
            foreach (var (kind, buffer) in State(i)) expected.Add(($"{_parameters[i].Name}.{kind}", buffer, _parameters[i].Length));
        foreach (var (name, _, length) in expected)
        {
            if (!state.TryGetValue(name, out var values))
                throw new ArgumentException($"{Spec}: the saved optimizer state has no '{name}'.", nameof(state));
            if (values.Length != length)
                throw new ArgumentException($"{Spec}: the saved optimizer state '{name}' holds {values.Length} values, the parameter {length}.", nameof(state));
        }
        var unknown = state.Keys.Except(expected.Select(e => e.Name)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"{Spec}: the saved optimizer state holds {string.Join(", ", unknown)}, which this optimizer does not keep.", nameof(state));
        foreach (var (name, buffer, _) in expected) buffer.Device.Upload(state[name], buffer);
        Steps = steps;
    }

    /// <summary>Allocates the state kept beside <paramref name="parameter"/> (momentum, moments), on its device.</summary>
    protected abstract void CreateState(Parameter parameter);
    /// <summary>Updates parameter <paramref name="index"/> from its gradient; <paramref name="step"/> counts from 1.</summary>
    protected abstract void Update(int index, Parameter parameter, int step);

    /// <summary>The state buffers kept beside parameter <paramref name="index"/>, each with a short name ("m", "velocity").</summary>
    protected abstract IEnumerable<(string Kind, DeviceBuffer Buffer)> State(int index);

    /// <summary>Frees the optimizer's state buffers.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>The <see cref="Spec"/>.</summary>
    public override string ToString() => Spec;
}
