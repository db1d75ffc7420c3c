namespace CnnNative.Serialization;

/// <summary>
/// One tensor in a safetensors header: its name, element type ("F32", ...), shape, and byte range
/// [<see cref="Begin"/>, <see cref="End"/>) within the data that follows the header.
/// </summary>
internal sealed record SafeTensorEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    /// <summary>The product of the shape (1 for a scalar, 0 when a dimension is 0).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>The shape as "[2,3]" for messages.</summary>
    public string ShapeText => $"[{string.Join(",", Shape)}]";

    /// <summary>Bytes per element of each dtype the format defines; null for a name it does not define.</summary>
    public static int? DTypeSize(string dtype) => dtype switch
    {
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" => 1,
        "I16" or "U16" or "F16" or "BF16" => 2,
        "I32" or "U32" or "F32" => 4,
        "I64" or "U64" or "F64" => 8,
        _ => null,
    };
}
