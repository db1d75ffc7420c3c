namespace CnnNative.Data;

/// <summary>
/// Makes the exception for a data file whose content is not what its format promises.
/// <see cref="InvalidDataException"/> is sealed, so instead of a subclass every such exception carries the file in
/// <see cref="Exception.Data"/>[<see cref="PathKey"/>] and its message starts with the path: "bad magic number"
/// alone does not say which of four files is wrong.
/// </summary>
public static class DataFormat
{
    /// <summary>The key of <see cref="Exception.Data"/> that holds the malformed file's path.</summary>
    public const string PathKey = "CnnNative.Data.Path";

    /// <summary>An <see cref="InvalidDataException"/> whose message is "path: problem".</summary>
    internal static InvalidDataException Error(string path, string problem, Exception? inner = null)
    {
        var ex = new InvalidDataException($"{path}: {problem}", inner);
        ex.Data[PathKey] = path;
        return ex;
    }

    /// <summary>Whether <paramref name="ex"/> came from <see cref="Error"/> (so it already names its file).</summary>
    internal static bool NamesFile(Exception ex) => ex.Data.Contains(PathKey);
}
