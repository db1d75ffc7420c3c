using System.Text.Json;

namespace CnnNative.Training;

/// <summary>A JSON array with one object per epoch (validation fields left out when there was no validation).</summary>
public sealed class JsonLogger(string path) : EpochLog(path)
{
    private protected override byte[] Format(IReadOnlyList<EpochResult> epochs)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var e in epochs)
            {
                w.WriteStartObject();
                var row = Row(e);
                for (int i = 0; i < Columns.Length; i++)
                {
                    if (row[i] is not { } v) continue;
                    if (i == 0) w.WriteNumber(Columns[i], (int)v);
                    else w.WriteNumber(Columns[i], v);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return stream.ToArray();
    }
}
