using CnnNative.Tensors;

namespace CnnNative.Training;

/// <summary>
/// A loss over a batch: Forward returns the mean loss per sample and keeps the gradient with respect to
/// the model output, which Backward hands to the model. Targets have the output's shape (one-hot rows for
/// class labels).
/// </summary>
public abstract class Loss : IDisposable
{
    private Workspace? _gradient;
    private Tensor? _lastGradient;

    /// <summary>Softmax + categorical cross-entropy, fused; takes logits (see <see cref="TakesLogits"/>).</summary>
    public static Loss CategoricalCrossEntropy => new CategoricalCrossEntropyLoss();

    /// <summary>Mean squared error over every output element.</summary>
    public static Loss MeanSquaredError => new MeanSquaredErrorLoss();

    /// <summary>Creates a loss from its name ("categorical_crossentropy"/"cce" or "mse").</summary>
    public static Loss FromName(string name) => name.ToLowerInvariant() switch
    {
        "categorical_crossentropy" or "cce" or "crossentropy" => CategoricalCrossEntropy,
        "mse" or "mean_squared_error" => MeanSquaredError,
        _ => throw new ArgumentException($"Unknown loss '{name}'. Known: categorical_crossentropy, mse.", nameof(name)),
    };

    public abstract string Name { get; }

    /// <summary>
    /// True when the loss applies softmax itself: a model that ends in Softmax then feeds it the logits
    /// below that layer (Sequential does this), which is both faster and numerically stable.
    /// </summary>
    public abstract bool TakesLogits { get; }

    /// <summary>Mean loss per sample of this batch; computes the gradient for <see cref="Backward"/>.</summary>
    public float Forward(Tensor output, Tensor target)
    {
        _gradient ??= new Workspace(output.Device);
        var grad = _gradient.Get(output.Shape);
        float loss = Forward(output, target, grad);
        _lastGradient = grad;
        return loss;
    }

    /// <summary>Mean loss per sample of this batch, writing dLoss/dOutput into <paramref name="gradient"/> (the caller's memory).</summary>
    internal float Forward(Tensor output, Tensor target, Tensor gradient)
    {
        if (output.Shape != target.Shape)
            throw new ArgumentException($"{Name}: output {output.Shape} and target {target.Shape} differ in shape.");
        if (!ReferenceEquals(output.Device, target.Device))
            throw new ArgumentException($"{Name}: output is on '{output.Device.Name}' but target on '{target.Device.Name}'.");
        int n = output.Shape[0];
        return Compute(output, target, gradient, n) / n;
    }

    /// <summary>dLoss/dOutput of the last Forward (scaled for the batch mean).</summary>
    public Tensor Backward() => _lastGradient ?? throw new InvalidOperationException($"{Name}: Backward called before Forward.");

    /// <summary>Writes the gradient of the batch-mean loss and returns the summed loss over the batch.</summary>
    protected abstract float Compute(Tensor output, Tensor target, Tensor gradient, int batch);

    public void Dispose()
    {
        _gradient?.Dispose();
        GC.SuppressFinalize(this);
    }

    public override string ToString() => Name;
}

/// <summary>−Σ t·log softmax(z), through the device's fused op.</summary>
public sealed class CategoricalCrossEntropyLoss : Loss
{
    public override string Name => "categorical_crossentropy";
    public override bool TakesLogits => true;

    protected override float Compute(Tensor output, Tensor target, Tensor gradient, int batch)
    {
        int classes = output.Length / batch;
        return output.Device.SoftmaxCrossEntropy(batch, classes, output.Buffer, target.Buffer, gradient.Buffer, 1f / batch);
    }
}

/// <summary>Mean over every element of (y − t)², reported per sample as Keras does (mean over the outputs of a sample).</summary>
public sealed class MeanSquaredErrorLoss : Loss
{
    public override string Name => "mse";
    public override bool TakesLogits => false;

    protected override float Compute(Tensor output, Tensor target, Tensor gradient, int batch)
    {
        int perSample = output.Length / batch;
        return output.Device.SquaredError(output.Length, output.Buffer, target.Buffer, gradient.Buffer, 1f / output.Length) / perSample;
    }
}
