namespace CnnNative.Devices;

/// <summary>Element-wise nonlinearities every device implements.</summary>
public enum Activation { ReLU, Sigmoid, Tanh }
