using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CnnNative.Serialization;

/// <summary>
/// Writes a file so that a reader never sees half of it and a failure never damages what was there: the bytes go
/// to a temporary file beside the target, which then replaces the target in one rename.
/// </summary>
/// <remarks>
/// <para>The temporary file is ".NAME.tmp-PID" (the target's name, the writing process's id), so a process killed
/// during a save leaves one predictable file per target; the next save into that folder deletes every such file
/// whose process is no longer running (and the ".NAME.PID.GUID.tmp" files earlier versions left). Only regular
/// files with exactly these names are touched. A process id reused by another process keeps its file until that
/// process ends too; a folder shared with other machines or PID namespaces may see a live save's file as stale.</para>
/// <para>What may be replaced, and how symbolic links are written through, is <see cref="OutputPath"/>'s rule.
/// Saves within one process are serialised, so two threads saving the same file never share a temporary file.</para>
/// </remarks>
internal static partial class AtomicFile
{
    private static readonly Lock Gate = new();

    /// <summary>The temporary file a save of <paramref name="target"/> writes first: ".NAME.tmp-PID" in the same folder.</summary>
    public static string TempPathFor(string target)
    {
        string full = Path.GetFullPath(target);
        return Path.Combine(Path.GetDirectoryName(full)!, string.Create(CultureInfo.InvariantCulture, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}"));
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file to replace or create.</param>
    /// <param name="bytes">The whole content.</param>
    /// <param name="createFolder">Make the folder when it does not exist (otherwise that is an error).</param>
    /// <exception cref="IOException">The path may not be replaced (see <see cref="OutputPath"/>) or the write failed.</exception>
    public static void Write(string path, byte[] bytes, bool createFolder = false)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, stream => stream.Write(bytes), createFolder);
    }

    /// <summary>Writes what <paramref name="write"/> puts into the stream to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file to replace or create.</param>
    /// <param name="write">Writes the whole content into the stream it is given.</param>
    /// <param name="createFolder">Make the folder when it does not exist (otherwise that is an error).</param>
    /// <exception cref="IOException">The path may not be replaced (see <see cref="OutputPath"/>) or the write failed.</exception>
    public static void Write(string path, Action<Stream> write, bool createFolder = false)
    {
        ArgumentNullException.ThrowIfNull(write);
        lock (Gate)
        {
            string target = OutputPath.Resolve(path, null, createFolder);
            RemoveStaleTemps(Path.GetDirectoryName(target)!);
            string temp = TempPathFor(target);
            try
            {
                using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    write(file);
                    file.Flush(flushToDisk: true);
                }
                // The path may have changed while the bytes were written (a device node made, a link moved).
                if (OutputPath.Resolve(path) != target)
                    throw new IOException($"Cannot write '{path}': it changed while it was being saved.");
                File.Move(temp, target, overwrite: true);
            }
            catch
            {
                try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                throw;
            }
        }
    }

    /// <summary>Creates and deletes <paramref name="temp"/> under the saves' lock, so a probe never truncates a save's temporary file.</summary>
    internal static void Probe(string temp)
    {
        lock (Gate)
        {
            using (new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None)) { }
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Deletes the temporary files that saves of processes no longer running left in <paramref name="folder"/>.
    /// Files that cannot be deleted are left; the save goes on.
    /// </summary>
    /// <returns>How many files were deleted.</returns>
    public static int RemoveStaleTemps(string folder)
    {
        int removed = 0;
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateFiles(folder, ".*"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        foreach (string file in candidates)
        {
            var m = TempName().Match(Path.GetFileName(file));
            if (!m.Success || !int.TryParse(m.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (pid == Environment.ProcessId || IsRunning(pid) || FileKinds.Of(file) != FileKind.RegularFile) continue;
            try
            {
                File.Delete(file);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false; // no such process, or it has exited
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return true; // cannot tell: keep its file
        }
    }

    // ".NAME.tmp-PID", and ".NAME.PID.GUID.tmp" from before the name was predictable.
    [GeneratedRegex(@"^\..+(\.tmp-(?<pid>\d{1,9})|\.(?<pid>\d{1,9})\.[0-9a-f]{32}\.tmp)$", RegexOptions.CultureInvariant)]
    private static partial Regex TempName();
}
