namespace CnnNative.Devices;

/// <summary>
/// What the devices whose memory is the host's own (reference, cpu, native) share: buffers are
/// <see cref="HostBuffer"/>s, upload and download are span copies, and work is synchronous.
/// </summary>
internal abstract unsafe class HostDeviceBase(string name) : DeviceBase(name)
{
    /// <inheritdoc />
    protected override DeviceBuffer AllocateCore(int length) => new HostBuffer(this, length);

    /// <inheritdoc />
    protected override void UploadCore(ReadOnlySpan<float> source, DeviceBuffer destination, int offset)
        => source.CopyTo(Span(destination).Slice(offset));

    /// <inheritdoc />
    protected override void DownloadCore(DeviceBuffer source, Span<float> destination, int offset)
        => Span(source).Slice(offset, destination.Length).CopyTo(destination);

    /// <inheritdoc />
    protected override void SynchronizeCore() { }

    /// <summary>A validated buffer's memory as a span.</summary>
    protected static Span<float> Span(DeviceBuffer buffer) => ((HostBuffer)buffer).Span;

    /// <summary>A validated buffer's memory as a pointer (null for an absent optional buffer).</summary>
    protected static float* Ptr(DeviceBuffer? buffer) => buffer is null ? null : ((HostBuffer)buffer).Pointer;
}
