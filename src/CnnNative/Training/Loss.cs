using CnnNative.Tensors;

namespace CnnNative.Training;

/// <summary>
/// A loss over a batch, as a value: it holds no memory and owns nothing, so one instance (such as
/// <see cref="CategoricalCrossEntropy"/>) serves every model and thread. <see cref="Forward"/> returns the mean loss
/// per sample and writes the gradient with respect to the model output into memory the caller owns. Targets have the
/// output's shape (one-hot rows for class labels).
/// </summary>
/// <remarks>
/// In a training loop the model keeps that gradient: <see cref="Sequential.ComputeLoss"/> computes the compiled loss
/// into the model's training memory and <see cref="Sequential.Backward()"/> back-propagates it.
/// </remarks>
public abstract class Loss
{
    /// <summary>Softmax + categorical cross-entropy, fused; takes logits (see <see cref="TakesLogits"/>).</summary>
    public static Loss CategoricalCrossEntropy { get; } = new CategoricalCrossEntropyLoss();

    /// <summary>Mean squared error over every output element.</summary>
    public static Loss MeanSquaredError { get; } = new MeanSquaredErrorLoss();

    /// <summary>The loss of this name ("categorical_crossentropy"/"cce" or "mse").</summary>
    /// <exception cref="ArgumentException">No loss has this name.</exception>
    public static Loss FromName(string name) => name.ToLowerInvariant() switch
    {
        "categorical_crossentropy" or "cce" or "crossentropy" => CategoricalCrossEntropy,
        "mse" or "mean_squared_error" => MeanSquaredError,
        _ => throw new ArgumentException($"Unknown loss '{name}'. Known: categorical_crossentropy, mse.", nameof(name)),
    };

    /// <summary>The name saved in model files and shown by Summary ("categorical_crossentropy").</summary>
    public abstract string Name { get; }

    /// <summary>
    /// True when the loss applies softmax itself: a model that ends in Softmax then feeds it the logits
    /// below that layer (Sequential does this), which is both faster and numerically stable.
    /// </summary>
    public abstract bool TakesLogits { get; }

    /// <summary>
    /// Mean loss per sample of this batch, writing dLoss/dOutput (scaled for the batch mean) into
    /// <paramref name="gradient"/>, a tensor of the output's shape on its device.
    /// </summary>
    /// <exception cref="ArgumentException">The three tensors differ in shape or device.</exception>
    public float Forward(Tensor output, Tensor target, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(gradient);
        if (output.Shape != target.Shape)
            throw new ArgumentException($"{Name}: output {output.Shape} and target {target.Shape} differ in shape.");
        if (output.Shape != gradient.Shape)
            throw new ArgumentException($"{Name}: output {output.Shape} and gradient {gradient.Shape} differ in shape.");
        if (!ReferenceEquals(output.Device, target.Device) || !ReferenceEquals(output.Device, gradient.Device))
            throw new ArgumentException($"{Name}: output, target and gradient must share a device; they are on '{output.Device.Name}', '{target.Device.Name}' and '{gradient.Device.Name}'.");
        int n = output.Shape[0];
        return Compute(output, target, gradient, n) / n;
    }

    /// <summary>Writes the gradient of the batch-mean loss and returns the summed loss over the batch.</summary>
    protected abstract float Compute(Tensor output, Tensor target, Tensor gradient, int batch);

    /// <summary>The <see cref="Name"/>.</summary>
    public override string ToString() => Name;
}

/// <summary>−Σ t·log softmax(z), through the device's fused op.</summary>
public sealed class CategoricalCrossEntropyLoss : Loss
{
    /// <inheritdoc/>
    public override string Name => "categorical_crossentropy";

    /// <inheritdoc/>
    public override bool TakesLogits => true;

    /// <inheritdoc/>
    protected override float Compute(Tensor output, Tensor target, Tensor gradient, int batch)
    {
        int classes = output.Length / batch;
        return output.Device.SoftmaxCrossEntropy(batch, classes, output.Buffer, target.Buffer, gradient.Buffer, 1f / batch);
    }
}

/// <summary>Mean over every element of (y − t)², reported per sample as Keras does (mean over the outputs of a sample).</summary>
public sealed class MeanSquaredErrorLoss : Loss
{
    /// <inheritdoc/>
    public override string Name => "mse";

    /// <inheritdoc/>
    public override bool TakesLogits => false;

    /// <inheritdoc/>
    protected override float Compute(Tensor output, Tensor target, Tensor gradient, int batch)
    {
        int perSample = output.Length / batch;
        return output.Device.SquaredError(output.Length, output.Buffer, target.Buffer, gradient.Buffer, 1f / output.Length) / perSample;
    }
}
