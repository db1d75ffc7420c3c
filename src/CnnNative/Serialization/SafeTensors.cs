using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace CnnNative.Serialization;

/// <summary>One named float32 tensor of a safetensors file.</summary>
/// <param name="Name">The tensor's key in the file, e.g. "conv2d_1.weight".</param>
/// <param name="Shape">Its dimensions, outermost first; their product is Data's length.</param>
/// <param name="Data">The values, row-major.</param>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data);

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to its dtype, shape and byte range, an optional "__metadata__" map of strings, then the raw
/// little-endian data. Only F32 is written or read here. A file is read only when its header is valid UTF-8 JSON of
/// at most 100 MiB whose tensors have known dtypes and shapes that match their byte ranges, and whose ranges cover
/// the data exactly, without overlaps or gaps.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// Writes the file atomically: to a temporary file beside it, then renamed over the target, so a failed write
    /// leaves the old file whole. A symbolic link is written through (its target is replaced, the link stays).
    /// </summary>
    /// <exception cref="ArgumentException">A tensor's shape and data disagree, or two tensors share a name.</exception>
    /// <exception cref="IOException">The path names a folder, a device or anything else but a regular file (which a
    /// save must not replace), its folder is missing, or the write failed.</exception>
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine.");
        var header = BuildHeader(tensors, metadata);
        AtomicFile.Write(path, file => WriteTo(file, header, tensors));
    }

    /// <summary>Writes the safetensors bytes to <paramref name="stream"/> at its position (the stream stays open).</summary>
    /// <exception cref="ArgumentException">A tensor's shape and data disagree, or two tensors share a name.</exception>
    public static void Write(Stream stream, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine.");
        WriteTo(stream, BuildHeader(tensors, metadata), tensors);
    }

    private static void WriteTo(Stream file, byte[] header, IReadOnlyList<NamedTensor> tensors)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        file.Write(length);
        file.Write(header);
        foreach (var t in tensors) file.Write(MemoryMarshal.AsBytes(t.Data.AsSpan()));
    }

    private static byte[] BuildHeader(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "__metadata__" };
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            foreach (var (k, v) in metadata) w.WriteString(k, v);
            w.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                if (!names.Add(t.Name)) throw new ArgumentException($"Tensor name '{t.Name}' is reserved or used twice.", nameof(tensors));
                long count = t.Shape.Aggregate(1L, (a, b) => a * b);
                if (count != t.Data.Length) throw new ArgumentException($"Tensor '{t.Name}' has shape [{string.Join(",", t.Shape)}] but {t.Data.Length} values.");
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + count * 4);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += count * 4;
            }
            w.WriteEndObject();
        }
        // Pad with spaces to a multiple of 8 so the data that follows is aligned, as the format recommends.
        int padded = (int)((ms.Length + 7) / 8 * 8);
        var header = new byte[padded];
        ms.GetBuffer().AsSpan(0, (int)ms.Length).CopyTo(header);
        header.AsSpan((int)ms.Length).Fill((byte)' ');
        return header;
    }

    /// <summary>Reads every tensor (F32 only) and the metadata.</summary>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file breaks the format's rules, or holds a tensor that is not F32; the message names the file and the tensor.</exception>
    public static (List<NamedTensor> tensors, Dictionary<string, string> metadata) Read(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        var tensors = file.Header.Tensors.Select(t => new NamedTensor(t.Name, t.Shape, file.ReadF32(t))).ToList();
        return (tensors, new Dictionary<string, string>(file.Header.Metadata));
    }
}
