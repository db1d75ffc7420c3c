using System.Globalization;
using CnnNative.Tensors;

namespace CnnNative.Layers;

/// <summary>
/// Batch normalization (Ioffe and Szegedy, 2015) as PyTorch's BatchNorm2d and BatchNorm1d compute it, per channel of
/// a (C, H, W) input or per feature of a (features) input: y = (x − mean)/√(var + eps)·γ + β, with γ (weight, starting
/// at 1) and β (bias, starting at 0) trained. In training (<c>Forward(x, training: true)</c>, as Fit runs it) mean and
/// var are the batch's own (the biased variance) and the running estimates move towards them:
/// running = (1 − momentum)·running + momentum·batch, with the unbiased variance. At inference (Evaluate, Predict,
/// <c>Forward(x)</c>) the running estimates are used, so a sample's output does not depend on its batch.
/// </summary>
/// <remarks>
/// <para>This class takes either input rank and is what the spec token <c>bn</c> builds; <see cref="BatchNorm2d"/> and
/// <see cref="BatchNorm1d"/> accept only theirs. Layers are named bn_1, bn_2, ...: parameters bn_1.weight (γ) and
/// bn_1.bias (β), buffers bn_1.running_mean and bn_1.running_var (saved with the model, not trained).</para>
/// <para>A channel with one value in the batch (batch 1 after a dense layer) has variance 0: y = β and no input
/// gradient, the running variance moving towards 0. PyTorch refuses such a batch in training; here it trains on.</para>
/// <para>Backward needs the statistics of a training-mode Forward; after an inference-mode Forward it throws.</para>
/// </remarks>
public class BatchNorm : Layer
{
    private Parameter _gamma = null!, _beta = null!;
    private LayerBuffer _runningMean = null!, _runningVar = null!;
    private int _channels, _spatial;

    /// <param name="eps">Added to the variance before the square root; positive (PyTorch's default 1e-5; Keras uses 1e-3).</param>
    /// <param name="momentum">How far the running estimates move towards each batch's, in [0, 1] (PyTorch's 0.1 is Keras' momentum 0.9).</param>
    public BatchNorm(float eps = 1e-5f, float momentum = 0.1f)
    {
        // Below 1e-20 the spec token could not write eps in decimals; such an eps changes nothing in float anyway.
        if (!(eps >= 1e-20f) || !float.IsFinite(eps))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"BatchNorm eps must be positive (at least 1e-20) and finite, got {eps}.");
        if (!(momentum >= 0 && momentum <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"BatchNorm momentum must be in [0, 1], got {momentum}.");
        (Eps, Momentum) = (eps, momentum);
    }

    /// <summary>Added to the variance before the square root.</summary>
    public float Eps { get; }
    /// <summary>How far the running estimates move towards each training batch's statistics.</summary>
    public float Momentum { get; }

    /// <summary>γ, one per channel.</summary>
    public Parameter Weight => _gamma;

    /// <summary>β, one per channel.</summary>
    public Parameter Bias => _beta;

    /// <summary>The running mean per channel, used at inference (saved as "{name}.running_mean").</summary>
    public LayerBuffer RunningMean => _runningMean;
    /// <summary>The running (unbiased) variance per channel, used at inference (saved as "{name}.running_var").</summary>
    public LayerBuffer RunningVar => _runningVar;

    /// <summary>"BatchNorm2d" or "BatchNorm1d" once built (after the input's rank), "BatchNorm" before.</summary>
    public override string Kind => !IsBuilt ? "BatchNorm" : InputShape.Rank == 1 ? "BatchNorm1d" : "BatchNorm2d";

    /// <summary>Named after its spec token, whichever kind: bn_1, bn_2, ...</summary>
    public override string NamePrefix => "bn";

    /// <summary>"bn", with e{eps} and m{momentum} where they are not the defaults (e.g. "bne0.001m0.01").</summary>
    public override string Spec => "bn" + (Eps == 1e-5f ? "" : "e" + Decimal(Eps)) + (Momentum == 0.1f ? "" : "m" + Decimal(Momentum));

    // The shortest text that reads back as the same float, without an exponent (a '-' would split the spec).
    private static string Decimal(float value)
        => decimal.Parse(value.ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether the layer takes inputs of this shape (one sample); BatchNorm takes (C, H, W) and (features).</summary>
    protected virtual bool Accepts(Shape input) => input.Rank is 1 or 3;

    /// <summary>What <see cref="Accepts"/> takes, for the message when it does not.</summary>
    protected virtual string AcceptedInputs => "a (channels, height, width) or (features) input";

    /// <inheritdoc/>
    protected override Shape Initialize(Shape input, Random rng)
    {
        if (!Accepts(input)) throw new ArgumentException($"{Describe()} needs {AcceptedInputs}, got {input}.");
        _channels = input[0];
        _spatial = input.Size / _channels;
        var channel = new Shape(_channels);
        var ones = new float[_channels];
        Array.Fill(ones, 1f);
        _gamma = AddParameter("weight", channel, ones);
        _beta = AddParameter("bias", channel, default);
        _runningMean = AddBuffer("running_mean", channel, default);
        _runningVar = AddBuffer("running_var", channel, ones, nonNegative: true);
        return input;
    }

    /// <summary>
    /// Whether the convolution or dense layer before folds this normalization into its weights in a model's inference
    /// passes (<see cref="Layer.TryFoldNorm"/>): Forward there returns its input, which already is normalized.
    /// </summary>
    internal bool FoldedIntoPrevious { get; set; }

    // The batch statistics Backward reads, kept in the pass's scratch.
    private const int SavedMean = 0, SavedInvStd = 1;

    internal override Tensor Forward(Tensor x, bool training, LayerScratch scratch)
    {
        CheckInput(x, scratch);
        if (!training && scratch.FoldsNorms && FoldedIntoPrevious)
        {
            (scratch.Saved, scratch.SavedInTraining) = (x, false);
            return x;
        }
        int n = x.Shape[0];
        var y = scratch.Output.Get(x.Shape);
        if (training)
        {
            var (mean, invStd) = (scratch.Extra(SavedMean).Get(_gamma.Shape), scratch.Extra(SavedInvStd).Get(_gamma.Shape));
            scratch.Device.BatchNormForwardTraining(n, _channels, _spatial, Eps, Momentum, x.Buffer, _gamma.Value.Buffer, _beta.Value.Buffer, y.Buffer,
                                            mean.Buffer, invStd.Buffer, _runningMean.Value.Buffer, _runningVar.Value.Buffer);
        }
        else
        {
            scratch.Device.BatchNormForwardInference(n, _channels, _spatial, Eps, x.Buffer, _gamma.Value.Buffer, _beta.Value.Buffer,
                                             _runningMean.Value.Buffer, _runningVar.Value.Buffer, y.Buffer);
        }
        (scratch.Saved, scratch.SavedInTraining) = (x, training);
        return y;
    }

    internal override Tensor? Backward(Tensor dy, bool needInputGradient, LayerScratch scratch)
    {
        var x = scratch.Saved ?? throw new InvalidOperationException($"{Describe()}: Backward called before Forward.");
        if (!scratch.SavedInTraining)
            throw new InvalidOperationException($"{Describe()}: Backward needs the batch statistics of a training-mode Forward (Forward(x, training: true)); " +
                                                "the last Forward ran in inference mode.");
        CheckGradient(dy, x.Shape);
        // dx is computed in the same pass as dγ and dβ, so the first layer of a model pays for it too.
        var dx = scratch.InputGradient.Get(x.Shape);
        scratch.Device.BatchNormBackward(x.Shape[0], _channels, _spatial, x.Buffer, dy.Buffer, _gamma.Value.Buffer,
                                 scratch.Extra(SavedMean).Get(_gamma.Shape).Buffer, scratch.Extra(SavedInvStd).Get(_gamma.Shape).Buffer,
                                 dx.Buffer, scratch.GradientOf(_gamma).Current.Buffer, scratch.GradientOf(_beta).Current.Buffer);
        return needInputGradient ? dx : null;
    }
}
