namespace CnnNative.Diagnostics;

/// <summary>A model loaded into an <see cref="IInferenceEngine"/>.</summary>
internal interface IInferenceSession : IDisposable
{
    /// <summary>
    /// The model's outputs for <paramref name="count"/> samples laid out NCHW in <paramref name="images"/>, like
    /// <see cref="Training.Sequential.Predict(ReadOnlySpan{float}, int, CancellationToken)"/>: count × outputs values.
    /// </summary>
    float[] Predict(float[] images, int count);
}
