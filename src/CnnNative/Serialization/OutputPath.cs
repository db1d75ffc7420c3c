namespace CnnNative.Serialization;

/// <summary>
/// Checks a path the program is about to write (a model, a picture, a metrics file, a checkpoint) so that a save
/// replaces only what it should, and so that a path that cannot be written is found before the work that would
/// fill it, not after.
/// </summary>
/// <remarks>
/// <para>A save may replace a regular file or create one where nothing is. It refuses a directory, a device
/// node, a FIFO, a socket or anything else: renaming over those would destroy them (a device node would become
/// a regular file).</para>
/// <para>A symbolic link is written through: the save replaces the regular file the link finally points to (or
/// creates it when the link dangles), and the link itself stays. This is what `cp` and a shell's `&gt;` do, and
/// it keeps a "latest.safetensors → runs/7/model.safetensors" link working. A link whose target is not a
/// regular file is refused like that target would be.</para>
/// <para>Every message names the path as the user gave it; <see cref="IOException"/> is the one exception type.</para>
/// </remarks>
internal static class OutputPath
{
    /// <summary>
    /// The file a save of <paramref name="path"/> replaces: the path itself, or the final target of the symbolic
    /// link at it. Writes nothing.
    /// </summary>
    /// <param name="path">The path as given.</param>
    /// <param name="label">How messages introduce the path, e.g. "--out"; none by default.</param>
    /// <exception cref="IOException">The path names something a save must not replace, or its folder is missing.</exception>
    public static string Resolve(string path, string? label = null) => Resolve(path, label, createFolder: false);

    /// <summary>
    /// <see cref="Resolve(string, string?)"/>, then, with <paramref name="createFolder"/>, makes the folder, then
    /// proves that the folder accepts the file by creating and deleting the temporary file the save will use.
    /// Call it before the work whose result will be saved.
    /// </summary>
    /// <returns>The file the save will replace.</returns>
    /// <exception cref="IOException">The path cannot be written; the message says why.</exception>
    public static string Prepare(string path, string? label = null, bool createFolder = false)
    {
        string target = Resolve(path, label, createFolder);
        string temp = AtomicFile.TempPathFor(target);
        try
        {
            AtomicFile.Probe(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e switch
            {
                UnauthorizedAccessException => "permission denied",
                FileNotFoundException or DirectoryNotFoundException => "the file system lets no file be created there",
                _ => e.Message.Replace($" : '{temp}'", "").Replace(temp, "a new file"),
            };
            throw Error(path, label, $"folder '{Path.GetDirectoryName(target)}' does not accept new files ({reason})", e);
        }
        return target;
    }

    internal static string Resolve(string path, string? label, bool createFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (Path.GetFileName(full).Length == 0) throw Error(path, label, "it names a folder, not a file");
        string target = full;
        var kind = FileKinds.Of(full);
        string via = "";
        if (kind == FileKind.SymbolicLink)
        {
            try { target = File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full; }
            catch (IOException e) { throw Error(path, label, $"it is a symbolic link that cannot be followed ({e.Message})", e); }
            kind = FileKinds.Of(target);
            via = $"it is a symbolic link to '{target}', which is ";
        }
        if (kind is not (FileKind.Absent or FileKind.RegularFile))
            throw Error(path, label, $"{(via.Length > 0 ? via : "it is ")}{FileKinds.Describe(kind)}; a save replaces only a regular file");
        CheckFolder(path, label, Path.GetDirectoryName(target)!, createFolder);
        return target;
    }

    private static void CheckFolder(string path, string? label, string folder, bool create)
    {
        if (Directory.Exists(folder)) return;
        var kind = FileKinds.Of(folder);
        if (kind != FileKind.Absent) throw Error(path, label, $"'{folder}' is {FileKinds.Describe(kind)}, not a folder");
        if (!create) throw Error(path, label, $"folder '{folder}' does not exist");
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Error(path, label, $"folder '{folder}' cannot be created ({e.Message})", e);
        }
    }

    private static IOException Error(string path, string? label, string problem, Exception? inner = null)
        => new($"Cannot write {(label is null ? "" : label + " ")}'{path}': {problem}.", inner);
}
