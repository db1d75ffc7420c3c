namespace CnnNative.Devices.Reference;

/// <summary>
/// The counter-based random numbers dropout uses, the same on every device (C#, C and OpenCL) so that a
/// seed gives the same mask everywhere: a multiply-mix of (seed, index) and murmur3's 32-bit finaliser.
/// </summary>
internal static class DropoutHash
{
    /// <summary>A uniform number in [0, 1) for element <paramref name="index"/> under <paramref name="seed"/>.</summary>
    public static float Uniform(uint seed, int index)
    {
        uint h = unchecked((uint)index * 0x9E3779B1u + seed * 0x85EBCA77u + 0x165667B1u);
        h ^= h >> 16;
        h = unchecked(h * 0x85EBCA6Bu);
        h ^= h >> 13;
        h = unchecked(h * 0xC2B2AE35u);
        h ^= h >> 16;
        return (h >> 8) * (1.0f / 16777216.0f);
    }

    /// <summary>The mask value for one element: 1/(1−rate) when kept, 0 when dropped.</summary>
    public static float Mask(uint seed, int index, float rate)
        => Uniform(seed, index) >= rate ? 1.0f / (1.0f - rate) : 0.0f;
}
