namespace CnnNative.Devices;

/// <summary>Element-wise nonlinearities every device implements.</summary>
public enum Activation
{
    /// <summary>max(0, x).</summary>
    ReLU,
    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,
    /// <summary>The hyperbolic tangent.</summary>
    Tanh,
}
