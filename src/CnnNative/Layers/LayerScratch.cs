using CnnNative.Devices;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// The memory one layer uses in one pass: its output and input-gradient workspaces, the few extra ones some layers
/// need (BatchNorm's batch statistics, Dropout's mask), and what Forward keeps for Backward.
/// </summary>
/// <remarks>
/// A layer keeps nothing of a pass in its own fields: everything a pass writes lives here. Each concurrent caller
/// brings its own scratch (Sequential rents one per Predict or Evaluate call), so calls never share memory; the
/// explicit loop (<see cref="Layer.Forward(Tensor, bool)"/>, <see cref="Layer.Backward(Tensor, bool)"/>) uses the
/// layer's own. Workspaces are made on first use and grow to the largest batch, so the steady state allocates nothing.
/// The layer runs its ops on the scratch's <see cref="Device"/>: the model's device, or one of its cpu lanes for a
/// shard of a data-parallel step, which also brings its own parameter gradients (<see cref="GradientOf"/>).
/// </remarks>
/// <param name="device">The device the pass runs on; its workspaces live there.</param>
/// <param name="gradients">A shard's own gradient slot for each parameter, or null: the parameters' own.</param>
internal sealed class LayerScratch(IDevice device, IReadOnlyDictionary<Parameter, GradientSlot>? gradients = null) : IDisposable
{
    private Workspace? _output, _inputGradient;
    private readonly Workspace?[] _extra = new Workspace?[2];
    private Tensor? _outputView, _inputGradientView;

    /// <summary>The device the layer's ops run on in this pass.</summary>
    public IDevice Device => device;

    /// <summary>Where this pass's Backward leaves <paramref name="p"/>'s gradient: the parameter's own slot, or the shard's.</summary>
    public GradientSlot GradientOf(Parameter p) => gradients is null ? p.Slot : gradients[p];

    /// <summary>Where Forward writes its output.</summary>
    public Workspace Output => _output ??= new Workspace(device);

    /// <summary>Where Backward writes dL/dx.</summary>
    public Workspace InputGradient => _inputGradient ??= new Workspace(device);

    /// <summary>A further workspace a layer names for itself (0 or 1).</summary>
    public Workspace Extra(int index) => _extra[index] ??= new Workspace(device);

    /// <summary>What the last Forward kept for Backward: its input or its output, whichever the layer's backward reads.</summary>
    public Tensor? Saved { get; set; }

    /// <summary>
    /// Whether this pass is a model's own (Predict, Evaluate: <see cref="Training.PassScratch"/>), in which a
    /// convolution folds the batch normalization after it in inference (<see cref="FoldedBatchNorm"/>). A layer called
    /// alone (<see cref="Layer.Forward(Tensor, bool)"/>) computes exactly what it is, unfolded.
    /// </summary>
    public bool FoldsNorms { get; init; }

    /// <summary>Whether the last Forward ran in training mode.</summary>
    public bool SavedInTraining { get; set; }

    /// <summary><paramref name="x"/>'s memory seen with <paramref name="shape"/>, the same view object while both stay the same.</summary>
    public Tensor OutputView(Tensor x, Shape shape) => Reuse(ref _outputView, x, shape);

    /// <summary><paramref name="dy"/>'s memory seen with <paramref name="shape"/>, the same view object while both stay the same.</summary>
    public Tensor InputGradientView(Tensor dy, Shape shape) => Reuse(ref _inputGradientView, dy, shape);

    private static Tensor Reuse(ref Tensor? view, Tensor source, Shape shape)
    {
        if (view is null || !ReferenceEquals(view.Buffer, source.Buffer) || view.Shape != shape) view = source.Reshape(shape);
        return view;
    }

    public void Dispose()
    {
        _output?.Dispose();
        _inputGradient?.Dispose();
        foreach (var w in _extra) w?.Dispose();
        (Saved, _outputView, _inputGradientView) = (null, null, null);
    }
}
