namespace CnnNative.Devices.Reference;

/// <summary>
/// The oracle: every op written as the plainest loops that can be read against the formula, with double
/// accumulators. Slow on purpose; every other device is tested against it, and it is usable as a device
/// ("reference") for tiny models and for debugging. One partial file per op family
/// (ReferenceDevice.Elementwise.cs, .Activation, .Gemm, .Conv2d, .Pool2d, .BatchNorm, .Softmax, .Loss, .Optimizer).
/// </summary>
/// <remarks>It obeys the same contract as every device: <see cref="DeviceBase"/> validates each call first.</remarks>
internal sealed partial class ReferenceDevice() : HostDeviceBase("reference")
{
    /// <inheritdoc />
    public override DeviceInfo Info { get; } =
        new("reference", "reference", "scalar C# oracle (double accumulators, one thread)", 1, 0, new Dictionary<string, string>());

    /// <inheritdoc />
    protected override void DisposeCore() { }
}
