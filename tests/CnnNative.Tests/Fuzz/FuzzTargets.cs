using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CnnNative.Cli.Pictures;
using CnnNative.Data;
using CnnNative.Devices.Reference;
using CnnNative.Models;
using CnnNative.Serialization;
using CnnNative.Tensors;
using CnnNative.Tests.Reliability;

namespace CnnNative.Tests.Fuzz;

/// <summary>The parsers of untrusted input: IDX, safetensors (and whole model files), PGM, pictures, model specs.</summary>
internal static class FuzzTargets
{
    /// <summary>Memory a fuzzed model may take; generous for any architecture a small file can describe.</summary>
    private const long ModelBudget = 64L << 20;

    /// <summary>
    /// Memory a fuzzed spec may build. Building draws every initial weight (about 130 ns each on this machine's
    /// reference device), so a legitimate 256 MB model takes seconds; the fuzz is about parsing and sizing, not that.
    /// </summary>
    private const long SpecBudget = 32L << 20;

    public static IEnumerable<FuzzTarget> All(string folder, ReferenceDevice device)
    {
        string file = Path.Combine(folder, "input");
        void Write(byte[] input) => File.WriteAllBytes(file, input);
        Type[] corrupt = [typeof(InvalidDataException)];

        yield return new("idx images", "idx", corrupt, MutateIdx, input =>
        {
            Write(input);
            IdxReader.ReadImages(file, limit: input.Length % 2 == 0 ? int.MaxValue : 2);
        });
        yield return new("idx labels", "idx", corrupt, MutateIdx, input =>
        {
            Write(input);
            IdxReader.ReadLabels(file, input.Length % 2 == 0 ? int.MaxValue : 2, out _);
        });
        yield return new("safetensors", "safetensors", corrupt, (m, seed, all) => MutateSafeTensors(m, seed, all, jsonEdits: 1), input =>
        {
            Write(input);
            SafeTensors.Read(file);
        });
        yield return new("model file", "safetensors", corrupt, (m, seed, all) => MutateSafeTensors(m, seed, all, jsonEdits: 4), input =>
        {
            Write(input);
            using var model = ModelFile.Load(file, device, out _, options: new ModelLoadOptions { MemoryBudget = ModelBudget });
            // A model that loads must predict: its architecture was checked, so this may not throw.
            model.Predict(new float[model.InputShape.Size]);
        });
        yield return new("pgm", "picture", corrupt, (m, seed, all) => m.Mutate(seed, all), input => PgmImage.Parse("input.pgm", input));
        yield return new("picture", "picture", corrupt, MutatePicture, input =>
        {
            Write(input);
            ImageFile.Load(file, new Shape(input.Length % 2 == 0 ? 1 : 3, 8, 8));
        });
        yield return new("model spec", "spec", [typeof(FormatException), typeof(ArgumentException)],
            (m, seed, all) => m.MutateTokens(Encoding.ASCII.GetString(seed), all.Select(Encoding.ASCII.GetString).ToList()),
            input =>
            {
                string spec = Encoding.UTF8.GetString(input);
                var input3 = input.Length % 3 == 0 ? new Shape(3, 32, 32) : new Shape(1, 28, 28);
                using var model = ModelBuilder.Build(spec, device, input3, memoryBudget: SpecBudget);
            });
    }

    /// <summary>The seeds of a corpus folder; the spec corpus is one seed per line.</summary>
    public static List<byte[]> Seeds(string corpus)
    {
        string folder = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fuzz", "corpus", corpus);
        var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToList();
        if (corpus == "spec")
            return files.SelectMany(f => File.ReadAllLines(f)).Where(l => l.Length > 0).Select(Encoding.ASCII.GetBytes).ToList();
        return files.Select(File.ReadAllBytes).ToList();
    }

    /// <summary>Mutates the IDX content itself (a gzip seed is unpacked first), then gzips half of the inputs; a few are mutated after gzip.</summary>
    private static byte[] MutateIdx(Mutator m, byte[] seed, IReadOnlyList<byte[]> all)
    {
        var plain = m.Mutate(IsGzip(seed) ? Gunzip(seed) : seed, all);
        if (m.Random.Next(2) == 0) return plain;
        var packed = Gzip(plain);
        return m.Random.Next(8) == 0 ? m.Mutate(packed, all) : packed;
    }

    /// <summary>
    /// One input in 2 + <paramref name="jsonEdits"/> is a byte-level mutation of the whole file, one edits the JSON
    /// header as bytes, the others edit it as JSON (the spec's tokens, the input shape, a tensor's shape or offsets, a
    /// name); the length prefix is made to fit the new header, so edits reach the format's rules and the model's checks.
    /// </summary>
    private static byte[] MutateSafeTensors(Mutator m, byte[] seed, IReadOnlyList<byte[]> all, int jsonEdits)
    {
        int mode = m.Random.Next(2 + jsonEdits);
        if (seed.Length < 8 || mode == 0) return m.Mutate(seed, all);
        long length = Math.Clamp((long)BinaryPrimitives.ReadUInt64LittleEndian(seed), 0, seed.Length - 8);
        var header = seed[8..(int)(8 + length)];
        header = mode == 1 ? m.Mutate(header, all) : EditJson(m, header) ?? m.Mutate(header, all);
        var data = seed[(int)(8 + length)..];
        if (m.Random.Next(4) == 0) data = m.Mutate(data, all);
        var result = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)header.Length);
        header.CopyTo(result, 8);
        data.CopyTo(result, 8 + header.Length);
        return result;
    }

    private static readonly long[] JsonNumbers = [0, 1, 2, 3, 4, 8, 28, 100, 65536, int.MaxValue, 1L << 32, long.MaxValue, -1];

    /// <summary>One edit of a safetensors header as JSON; null when it does not parse as an object.</summary>
    private static byte[]? EditJson(Mutator m, byte[] header)
    {
        JsonObject? root;
        List<KeyValuePair<string, JsonNode?>> tensors;
        try
        {
            root = JsonNode.Parse(header) as JsonObject;
            if (root is null) return null;
            tensors = root.Where(p => p.Key != "__metadata__" && p.Value is JsonObject).ToList();
        }
        // Seeds that break the format on purpose (invalid text, duplicate keys) get byte edits instead.
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException) { return null; }
        var rng = m.Random;
        var metadata = root["__metadata__"] as JsonObject;
        var spec = metadata is null ? null : metadata["spec"] as JsonValue;
        var shape = metadata is null ? null : metadata["input_shape"] as JsonValue;
        long Number() => rng.Next(3) == 0 ? rng.Next(0, 40) : JsonNumbers[rng.Next(JsonNumbers.Length)];
        switch (rng.Next(6))
        {
            case 0 when spec is not null:
                var specs = Seeds("spec").Select(Encoding.ASCII.GetString).ToList();
                metadata!["spec"] = Encoding.ASCII.GetString(m.MutateTokens(spec.ToString(), specs));
                break;
            case 1 when shape is not null:
                var dims = shape.ToString().Split(',').ToList();
                if (rng.Next(4) == 0) dims.Insert(rng.Next(dims.Count + 1), "1");
                else dims[rng.Next(dims.Count)] = Number().ToString(System.Globalization.CultureInfo.InvariantCulture);
                metadata!["input_shape"] = string.Join(',', dims);
                break;
            case 2 or 3 when tensors.Count > 0:
                var entry = (JsonObject)tensors[rng.Next(tensors.Count)].Value!;
                if (entry[rng.Next(2) == 0 ? "shape" : "data_offsets"] is JsonArray numbers && numbers.Count > 0)
                    numbers[rng.Next(numbers.Count)] = Number();
                break;
            case 4 when tensors.Count > 0:
                var (name, value) = tensors[rng.Next(tensors.Count)];
                root.Remove(name);
                if (rng.Next(2) == 0) root[name + (rng.Next(2) == 0 ? "x" : "")] = value!.DeepClone();
                break;
            default:
                return m.Mutate(header, [header]);
        }
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>Mutates, then mostly repairs PNG chunk checksums so that the edit reaches the decoder.</summary>
    private static byte[] MutatePicture(Mutator m, byte[] seed, IReadOnlyList<byte[]> all)
    {
        var input = m.Mutate(seed, all);
        if (m.Random.Next(4) != 0) PngBytes.FixCrcs(input);
        return input;
    }

    private static bool IsGzip(byte[] b) => b.Length >= 2 && b[0] == 0x1F && b[1] == 0x8B;

    private static byte[] Gzip(byte[] plain)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(plain);
        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] packed)
    {
        using var input = new GZipStream(new MemoryStream(packed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
