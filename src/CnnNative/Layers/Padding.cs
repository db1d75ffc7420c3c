namespace CnnNative.Layers;

/// <summary>How <see cref="Conv2d"/> pads its input, in Keras' words (its <c>padding="valid"|"same"</c>).</summary>
public enum Padding
{
    /// <summary>No padding: each side of the output is kernel − 1 smaller than the input's (Keras "valid").</summary>
    Valid,

    /// <summary>
    /// (kernel − 1) / 2 zeros on every side, so the output keeps the input's height and width (Keras and PyTorch
    /// "same"). Stride 1 and odd kernels only: an even kernel would need more zeros on one side than the other, and
    /// with a larger stride TensorFlow and PyTorch place the windows differently, so "same" would be ambiguous.
    /// </summary>
    Same,
}
