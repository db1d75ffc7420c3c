using CnnNative.Tensors;

namespace CnnNative.Data;

/// <summary>
/// One mini-batch, as views of the <see cref="DataLoader"/>'s reusable host buffers.
/// </summary>
/// <remarks>
/// A ref struct on purpose: the spans are valid only until the loader fills the next batch (the same arrays are
/// reused, so the steady state allocates nothing), and a ref struct cannot be stored in a field or a list
/// by mistake. Copy the values (e.g. upload them to a device tensor) before asking for the next batch.
/// </remarks>
public readonly ref struct Batch
{
    internal Batch(int index, Shape inputShape, ReadOnlySpan<float> images, ReadOnlySpan<float> oneHotTargets, ReadOnlySpan<int> labels)
    {
        Index = index;
        InputShape = inputShape;
        Images = images;
        OneHotTargets = oneHotTargets;
        Labels = labels;
    }

    /// <summary>Position of this batch in its epoch (0-based).</summary>
    public int Index { get; }

    /// <summary>Number of images in this batch (the batch size, or fewer for the last one).</summary>
    public int Count => Labels.Length;

    /// <summary>The shape of one image (C,H,W).</summary>
    public Shape InputShape { get; }

    /// <summary>The batch's images as an (n,C,H,W) shape.</summary>
    public Shape Shape => InputShape.WithBatch(Count);

    /// <summary>Count·C·H·W floats, NCHW.</summary>
    public ReadOnlySpan<float> Images { get; }

    /// <summary>Count·classCount floats: row i is 1 at Labels[i] and 0 elsewhere.</summary>
    public ReadOnlySpan<float> OneHotTargets { get; }

    /// <summary>Count class labels.</summary>
    public ReadOnlySpan<int> Labels { get; }
}
