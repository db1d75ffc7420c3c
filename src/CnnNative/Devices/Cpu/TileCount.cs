namespace CnnNative.Devices.Cpu;

/// <summary>
/// A count in the shape of the direct forward's register tile (<see cref="CpuConv2d{TVec}"/>, the dense direct
/// forward: filters × vectors of positions): a type, so that the count is a constant in the tile's compiled body
/// and the JIT keeps only the accumulators it uses.
/// </summary>
internal interface ITileCount
{
    /// <summary>The count.</summary>
    static abstract int Value { get; }
}

/// <summary>1 (a vector of positions: the tail of a small image).</summary>
internal readonly struct TileCount1 : ITileCount { public static int Value => 1; }

/// <summary>2.</summary>
internal readonly struct TileCount2 : ITileCount { public static int Value => 2; }

/// <summary>3.</summary>
internal readonly struct TileCount3 : ITileCount { public static int Value => 3; }

/// <summary>4 (filters of the 256-bit tile, or vectors of the 6-filter 512-bit tile).</summary>
internal readonly struct TileCount4 : ITileCount { public static int Value => 4; }

/// <summary>6 filters, for layers of 6·i filters (LeNet's first).</summary>
internal readonly struct TileCount6 : ITileCount { public static int Value => 6; }

/// <summary>8 filters: the 512-bit tile.</summary>
internal readonly struct TileCount8 : ITileCount { public static int Value => 8; }

/// <summary>The floats of one vector of the width <typeparamref name="TVec"/> (16 or 8): the Winograd tiles' row step.</summary>
internal readonly struct TileCountOfWidth<TVec> : ITileCount where TVec : unmanaged, Simd.IVec<TVec>
{
    public static int Value => TVec.Count;
}

/// <summary>The register tiles' rows at the width <typeparamref name="TVec"/> (MR: 14 or 6).</summary>
internal readonly struct TileRowsOf<TVec> : ITileCount where TVec : unmanaged, Simd.IVec<TVec>
{
    public static int Value => TVec.TileRows;
}
