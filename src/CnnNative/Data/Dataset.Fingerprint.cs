using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace CnnNative.Data;

public sealed partial class Dataset
{
    /// <summary>
    /// Names this exact data: the count, the image shape, the class count and the SHA-256 of every pixel and label,
    /// e.g. "3000 × (1, 28, 28), 10 classes, sha256 9f2c…". A training checkpoint records it, so that a resume on
    /// other data is refused instead of silently mixing two data sets. Hashing 60,000 images takes a few tenths of a second.
    /// </summary>
    public string Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(MemoryMarshal.AsBytes(Images));
        hash.AppendData(MemoryMarshal.AsBytes(Labels));
        string sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        return string.Create(CultureInfo.InvariantCulture, $"{Count} × {InputShape}, {ClassCount} classes, sha256 {sha}");
    }
}
