namespace CnnNative.Layers;

/// <summary>How a layer's weights are drawn (biases start at zero).</summary>
public enum Initializer
{
    /// <summary>He/Kaiming uniform: U(±sqrt(6 / fanIn)), suited to ReLU networks. The default.</summary>
    He,
    /// <summary>Glorot/Xavier uniform: U(±sqrt(6 / (fanIn + fanOut))), Keras' default, suited to tanh/sigmoid.</summary>
    Glorot,
}

internal static class Initialization
{
    public static float[] Draw(Initializer init, int count, int fanIn, int fanOut, Random rng)
    {
        double bound = init switch
        {
            Initializer.He => Math.Sqrt(6.0 / fanIn),
            Initializer.Glorot => Math.Sqrt(6.0 / (fanIn + fanOut)),
            _ => throw new ArgumentOutOfRangeException(nameof(init)),
        };
        var w = new float[count];
        for (int i = 0; i < w.Length; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
        return w;
    }
}
