using System.Text.Json;

namespace CnnNative.Serialization;

/// <summary>
/// The JSON header of a safetensors file, parsed and checked against the format's rules before any tensor is
/// read, so that a damaged or hostile file is refused before it costs memory.
/// </summary>
/// <remarks>
/// The rules (those of Hugging Face's reference reader): the header is UTF-8 JSON, an object whose keys are unique;
/// "__metadata__", when present, maps strings to strings; every other key is a tensor with exactly the fields
/// "dtype" (a dtype the format defines), "shape" (whole numbers ≥ 0) and "data_offsets" ([begin, end], whole
/// numbers, end − begin = elements × dtype size); sorted by offset, the tensors cover the data exactly, with no
/// gap, no overlap and nothing after them. Every violation is an <see cref="InvalidDataException"/> whose message
/// names the file and, where there is one, the tensor or metadata key.
/// </remarks>
internal sealed class SafeTensorsHeader
{
    /// <summary>The largest header read (the reference reader's limit too).</summary>
    public const long MaxBytes = 100L << 20;

    private readonly Dictionary<string, SafeTensorEntry> _byName;

    private SafeTensorsHeader(List<SafeTensorEntry> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The tensors in the order of their data.</summary>
    public IReadOnlyList<SafeTensorEntry> Tensors { get; }

    /// <summary>The "__metadata__" map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>, or null.</summary>
    public SafeTensorEntry? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Parses and checks <paramref name="json"/>, the header of a file whose data holds <paramref name="dataLength"/> bytes.</summary>
    /// <param name="path">The file, for messages.</param>
    /// <param name="json">The header bytes (between the 8-byte length and the data).</param>
    /// <param name="dataLength">Bytes that follow the header in the file.</param>
    /// <exception cref="InvalidDataException">The header breaks a rule of the format.</exception>
    public static SafeTensorsHeader Parse(string path, ReadOnlyMemory<byte> json, long dataLength)
    {
        int invalid = IndexOfInvalidUtf8(json.Span);
        if (invalid >= 0) throw Bad(path, $"the header is not valid UTF-8 (byte {invalid} of the header)");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw Bad(path, $"the JSON header does not parse ({e.Message})", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "the header is not a JSON object");
            var tensors = new List<SafeTensorEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                string name = Text(path, property, "a tensor name");
                if (!keys.Add(name)) throw Bad(path, $"tensor '{name}' appears twice in the header");
                if (name == "__metadata__") ReadMetadata(path, property.Value, metadata);
                else tensors.Add(ReadEntry(path, name, property.Value, dataLength));
            }
            tensors = CheckLayout(path, tensors, dataLength);
            return new SafeTensorsHeader(tensors, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(path, $"__metadata__ is a JSON {value.ValueKind.ToString().ToLowerInvariant()}, not an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            string key = Text(path, item, "a metadata key");
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Bad(path, $"metadata '{key}' is a JSON {item.Value.ValueKind.ToString().ToLowerInvariant()}, not a string");
            string text;
            try { text = item.Value.GetString()!; }
            catch (InvalidOperationException e) { throw Bad(path, $"metadata '{key}' is not valid Unicode text ({e.Message})", e); }
            if (!metadata.TryAdd(key, text)) throw Bad(path, $"metadata '{key}' appears twice");
        }
    }

    private static SafeTensorEntry ReadEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Bad(path, $"tensor '{name}' is a JSON {value.ValueKind.ToString().ToLowerInvariant()}, not an object");
        string? dtype = null;
        long[]? shape = null, offsets = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null:
                    dtype = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()
                        : throw Bad(path, $"tensor '{name}' has a dtype that is not a string");
                    break;
                case "shape" when shape is null:
                    shape = WholeNumbers(path, name, "shape", field.Value);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = WholeNumbers(path, name, "data_offsets", field.Value);
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw Bad(path, $"tensor '{name}' has '{field.Name}' twice");
                default:
                    throw Bad(path, $"tensor '{name}' has a field the format does not define ('{field.Name}')");
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw Bad(path, $"tensor '{name}' lacks '{(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}'");
        int size = SafeTensorEntry.DTypeSize(dtype) ?? throw Bad(path, $"tensor '{name}' has dtype '{dtype}', which the format does not define");
        if (offsets.Length != 2) throw Bad(path, $"tensor '{name}' has {offsets.Length} data_offsets; the format wants two (begin, end)");

        var dims = new int[shape.Length];
        long bytes = size;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] > int.MaxValue) throw Bad(path, $"tensor '{name}' has dimension {i} of {shape[i]}; at most {int.MaxValue} is supported");
            dims[i] = (int)shape[i];
            // Stop multiplying at anything the data cannot hold, so the product never overflows.
            if (bytes != 0) bytes = shape[i] == 0 ? 0 : bytes > dataLength / shape[i] ? long.MaxValue : bytes * shape[i];
        }
        string shapeText = $"[{string.Join(",", shape)}]";
        if (bytes > dataLength)
            throw Bad(path, $"tensor '{name}' of shape {shapeText} needs more bytes than the {dataLength} of data the file holds (truncated?)");
        long begin = offsets[0], end = offsets[1];
        if (end > dataLength)
            throw Bad(path, $"tensor '{name}' ends at byte {end} of the data but only {dataLength} bytes follow the header (truncated?)");
        if (begin > end || end - begin != bytes)
            throw Bad(path, $"tensor '{name}' has data_offsets [{begin},{end}] but its {dtype} shape {shapeText} takes {bytes} bytes of the {dataLength} that follow the header");
        return new SafeTensorEntry(name, dtype, dims, begin, end);
    }

    private static long[] WholeNumbers(string path, string tensor, string field, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array) throw Bad(path, $"tensor '{tensor}' has a {field} that is not a JSON array");
        var numbers = new long[value.GetArrayLength()];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long n) || n < 0)
                throw Bad(path, $"tensor '{tensor}' has {field} entry {item.GetRawText()}, which is not a whole number ≥ 0");
            numbers[i++] = n;
        }
        return numbers;
    }

    /// <summary>Sorted by offset, the tensors must tile the data: each starts where the one before ended.</summary>
    private static List<SafeTensorEntry> CheckLayout(string path, List<SafeTensorEntry> tensors, long dataLength)
    {
        var sorted = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        long expected = 0;
        SafeTensorEntry? previous = null;
        foreach (var t in sorted)
        {
            if (t.Begin < expected)
                throw Bad(path, $"tensor '{t.Name}' (bytes {t.Begin}..{t.End}) overlaps tensor '{previous!.Name}' (bytes {previous.Begin}..{previous.End})");
            if (t.Begin > expected)
                throw Bad(path, previous is null
                    ? $"{t.Begin} bytes before the first tensor, '{t.Name}', belong to no tensor"
                    : $"{t.Begin - expected} bytes between tensor '{previous.Name}' and tensor '{t.Name}' belong to no tensor");
            expected = t.End;
            previous = t;
        }
        if (expected != dataLength)
            throw Bad(path, $"the tensors cover {expected} bytes but {dataLength} follow the header");
        return sorted;
    }

    private static string Text(string path, JsonProperty property, string what)
    {
        try { return property.Name; }
        catch (InvalidOperationException e) { throw Bad(path, $"{what} is not valid Unicode text ({e.Message})", e); }
    }

    private static int IndexOfInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return -1;
        for (int i = 0; i < bytes.Length;)
        {
            if (System.Buffers.OperationStatus.Done != System.Text.Rune.DecodeFromUtf8(bytes[i..], out _, out int used)) return i;
            i += used;
        }
        return -1;
    }

    internal static InvalidDataException Bad(string path, string what, Exception? inner = null)
        => new($"Model file '{path}' is not a valid safetensors file: {what}.", inner);
}
