namespace CnnNative.Devices.Cpu;

/// <summary>What a packed copy of a buffer was packed for: the operand's role, the panel width and its shape.</summary>
internal readonly record struct PackKey(PackedRole Role, int PanelWidth, bool Transposed, int Rows, int Cols);

/// <summary>The layouts a packed copy can have: a GEMM's B panels, or a convolution forward's filters per algorithm.</summary>
internal enum PackedRole { GemmB, ImplicitFilters, DirectFilters, LoweringFilters, WinogradFilters, BlockedDirectFilters }

/// <summary>
/// The cpu device's packed copies of operands that stay the same across calls (a dense layer's weights as a GEMM's B,
/// a convolution's filters in the layout of its forward algorithm), so that they are packed once per change, not
/// once per call. A copy is tied to its buffer's
/// <see cref="DeviceBuffer.Version"/>: any op or upload that may write the buffer makes it stale.
/// </summary>
/// <remarks>
/// A buffer is packed into the cache on its second use at the same version: a weight read by every forward of an
/// inference is then packed once (the first call packs as usual), while buffers that change between uses
/// (activations, and weights in training, where each version is read once) never cost more than a lookup. Entries
/// are created once per (buffer, layout) and reused, so steady state allocates nothing; the memory of a buffer that
/// is disposed or collected is freed when the next entry is created, and all of it with the device.
/// </remarks>
internal sealed unsafe class CpuPackedWeights : IDisposable
{
    private sealed class Entry(DeviceBuffer buffer, PackKey key)
    {
        public readonly WeakReference<DeviceBuffer> Buffer = new(buffer);
        public readonly PackKey Key = key;
        public long Version = -1;
        public bool Packed;
        public readonly ScratchMemory Memory = new();
    }

    private readonly List<Entry> _entries = [];

    /// <summary>Entries kept at most (the layers of a model); past this the oldest is dropped.</summary>
    private const int MaxEntries = 64;

    /// <summary>
    /// The packed copy of <paramref name="buffer"/> for <paramref name="key"/>, or null the first time its current
    /// version is seen (pack as usual then). <paramref name="pack"/> is true when the caller must fill the returned
    /// <paramref name="floats"/> floats now; false when they hold the packing of this very version.
    /// </summary>
    public float* Find(DeviceBuffer buffer, in PackKey key, long floats, out bool pack)
    {
        pack = false;
        var entry = Lookup(buffer, key);
        if (entry is null)
        {
            Add(buffer, key).Version = buffer.Version;
            return null;
        }
        if (entry.Version != buffer.Version)
        {
            entry.Version = buffer.Version;
            entry.Packed = false;
            return null;
        }
        if (!entry.Packed)
        {
            entry.Packed = true;
            pack = true;
        }
        return entry.Memory.Ensure(floats);
    }

    private Entry? Lookup(DeviceBuffer buffer, in PackKey key)
    {
        foreach (var e in _entries)
            if (e.Key == key && e.Buffer.TryGetTarget(out var b) && ReferenceEquals(b, buffer)) return e;
        return null;
    }

    private Entry Add(DeviceBuffer buffer, in PackKey key)
    {
        for (int i = _entries.Count - 1; i >= 0; i--)
            if (!_entries[i].Buffer.TryGetTarget(out var b) || b.IsDisposed) Drop(i);
        if (_entries.Count >= MaxEntries) Drop(0);
        var entry = new Entry(buffer, key);
        _entries.Add(entry);
        return entry;
    }

    private void Drop(int index)
    {
        _entries[index].Memory.Dispose();
        _entries.RemoveAt(index);
    }

    public void Dispose()
    {
        foreach (var e in _entries) e.Memory.Dispose();
        _entries.Clear();
    }
}
