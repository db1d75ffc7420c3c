using CnnNative.Devices;

namespace CnnNative.Training;

/// <summary>
/// The <see cref="PassScratch"/>es of a model's Predict and Evaluate calls: each call rents one and gives it back, so
/// concurrent calls never share memory and, once there is one per concurrent caller, calls allocate nothing.
/// </summary>
/// <remarks>
/// At most <see cref="Capacity"/> are kept: more callers than that at once still run (each with a fresh scratch),
/// but their scratches are freed on return instead of holding device memory for a burst that may not come again.
/// </remarks>
internal sealed class PassScratchPool(IDevice device) : IDisposable
{
    private readonly Stack<PassScratch> _free = new();
    private bool _disposed;

    /// <summary>How many idle scratches the pool keeps: one per core, at least 2, at most 8.</summary>
    public static int Capacity { get; } = Math.Clamp(Environment.ProcessorCount, 2, 8);

    /// <summary>A scratch for a model of <paramref name="layerCount"/> layers, the caller's alone until <see cref="Return"/>.</summary>
    public PassScratch Rent(int layerCount)
    {
        PassScratch? scratch;
        lock (_free)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _free.TryPop(out scratch);
        }
        if (scratch is not null && scratch.LayerCount == layerCount) return scratch;
        scratch?.Dispose();
        return new PassScratch(device, layerCount);
    }

    public void Return(PassScratch scratch)
    {
        lock (_free)
        {
            if (!_disposed && _free.Count < Capacity)
            {
                _free.Push(scratch);
                return;
            }
        }
        scratch.Dispose();
    }

    public void Dispose()
    {
        lock (_free)
        {
            _disposed = true;
            while (_free.TryPop(out var scratch)) scratch.Dispose();
        }
    }
}
