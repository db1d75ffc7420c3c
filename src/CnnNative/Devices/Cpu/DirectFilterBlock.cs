namespace CnnNative.Devices.Cpu;

/// <summary>
/// Filters one register tile of the direct forward computes together (<see cref="CpuConv2d{TVec}"/>, the dense
/// direct forward): a type, so that the count is a constant in the tile's compiled body and the JIT keeps only the
/// accumulators it uses.
/// </summary>
internal interface IDirectFilterBlock
{
    /// <summary>Filters per tile.</summary>
    static abstract int Filters { get; }
}

/// <summary>4 filters: the 256-bit tile (4 × 3 vectors = 12 ymm accumulators).</summary>
internal readonly struct DirectFilters4 : IDirectFilterBlock
{
    public static int Filters => 4;
}

/// <summary>6 filters, for layers of 6·i filters (LeNet's first): 6 × 2 ymm or 6 × 4 zmm accumulators.</summary>
internal readonly struct DirectFilters6 : IDirectFilterBlock
{
    public static int Filters => 6;
}

/// <summary>8 filters: the 512-bit tile (8 × 3 vectors = 24 zmm accumulators).</summary>
internal readonly struct DirectFilters8 : IDirectFilterBlock
{
    public static int Filters => 8;
}
