using System.Globalization;
using System.Text;

namespace CnnNative.Training;

/// <summary>Keras' CSVLogger: one comma-separated row per epoch under a header (empty cells without validation).</summary>
public sealed class CsvLogger(string path) : EpochLog(path)
{
    private protected override byte[] Format(IReadOnlyList<EpochResult> epochs)
    {
        var sb = new StringBuilder().AppendJoin(',', Columns).Append('\n');
        foreach (var e in epochs)
            sb.AppendJoin(',', Row(e).Select(v => v?.ToString("R", CultureInfo.InvariantCulture) ?? "")).Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
