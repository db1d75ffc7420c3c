using System.Text;

namespace CnnNative.Devices.OpenCL;

/// <summary>The .cl files embedded in this assembly, common.cl first.</summary>
internal static class KernelSources
{
    private static readonly Lazy<string> LazyAll = new(Load);

    /// <summary>Every kernel file, concatenated into one program source.</summary>
    public static string All => LazyAll.Value;

    private static string Load()
    {
        var assembly = typeof(KernelSources).Assembly;
        var names = assembly.GetManifestResourceNames().Where(n => n.EndsWith(".cl", StringComparison.Ordinal))
                            .OrderBy(n => n.EndsWith(".common.cl", StringComparison.Ordinal) ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal)
                            .ToList();
        if (names.Count == 0) throw new InvalidOperationException("The OpenCL kernel sources are not embedded in CnnNative.dll.");
        var sb = new StringBuilder();
        foreach (var name in names)
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            sb.Append("// ---- ").Append(name).Append('\n').Append(reader.ReadToEnd()).Append('\n');
        }
        return sb.ToString();
    }
}
