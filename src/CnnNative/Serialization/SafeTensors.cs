using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace CnnNative.Serialization;

/// <summary>One named float32 tensor of a safetensors file.</summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data);

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to its dtype, shape and byte range, an optional "__metadata__" map of strings, then the raw
/// little-endian data. Only F32 is written or read here.
/// </summary>
public static class SafeTensors
{
    private const long MaxHeaderBytes = 100L << 20;

    /// <summary>Writes the file atomically: to a temporary file beside it, then renamed over the target.</summary>
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(path);
        var header = BuildHeader(tensors, metadata);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Cannot save '{path}': folder '{dir}' does not exist.");
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
                fs.Write(len);
                fs.Write(header);
                foreach (var t in tensors)
                {
                    if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine.");
                    fs.Write(MemoryMarshal.AsBytes(t.Data.AsSpan()));
                }
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
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

    /// <summary>Reads every tensor and the metadata; any inconsistency is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static (List<NamedTensor> tensors, Dictionary<string, string> metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
        string Bad(string what) => $"Model file '{path}' is not a valid safetensors file: {what}.";
        if (bytes.Length < 8) throw new InvalidDataException(Bad($"it holds only {bytes.Length} bytes"));
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || 8 + (long)headerLength > bytes.Length)
            throw new InvalidDataException(Bad($"the header claims {headerLength} bytes but the file holds {bytes.Length} (truncated?)"));
        var data = bytes.AsMemory(8 + (int)headerLength);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength)); }
        catch (JsonException e) { throw new InvalidDataException(Bad($"the JSON header does not parse ({e.Message})"), e); }
        using (doc)
        {
            var metadata = new Dictionary<string, string>();
            var tensors = new List<NamedTensor>();
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException(Bad("the header is not a JSON object"));
            long expectedEnd = 0;
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    foreach (var m in prop.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                try
                {
                    string dtype = prop.Value.GetProperty("dtype").GetString() ?? "";
                    if (dtype != "F32") throw new InvalidDataException(Bad($"tensor '{prop.Name}' is {dtype}; only F32 is supported"));
                    int[] shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                    var offsets = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                    long count = shape.Aggregate(1L, (a, b) => a * b);
                    if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] - offsets[0] != count * 4)
                        throw new InvalidDataException(Bad($"tensor '{prop.Name}' has data_offsets [{string.Join(",", offsets)}] that do not match its shape [{string.Join(",", shape)}]"));
                    if (offsets[1] > data.Length)
                        throw new InvalidDataException(Bad($"tensor '{prop.Name}' ends at byte {offsets[1]} of the data but only {data.Length} bytes follow the header (truncated?)"));
                    var values = new float[count];
                    data.Span.Slice((int)offsets[0], (int)(count * 4)).CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
                    tensors.Add(new NamedTensor(prop.Name, shape, values));
                    expectedEnd = Math.Max(expectedEnd, offsets[1]);
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new InvalidDataException(Bad($"tensor '{prop.Name}' has a malformed entry ({e.Message})"), e);
                }
            }
            if (expectedEnd != data.Length)
                throw new InvalidDataException(Bad($"the tensors cover {expectedEnd} bytes but {data.Length} follow the header"));
            return (tensors, metadata);
        }
    }
}
