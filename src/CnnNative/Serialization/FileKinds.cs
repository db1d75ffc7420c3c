using System.Runtime.InteropServices;

namespace CnnNative.Serialization;

/// <summary>Finds the <see cref="FileKind"/> of a path.</summary>
/// <remarks>
/// .NET reports device nodes, FIFOs and sockets as ordinary files (FileAttributes.Normal), so on Linux the type
/// comes from statx, whose result layout is the same on every architecture. Elsewhere, or when statx is missing,
/// the managed view is used: absent, directory, link or regular file.
/// </remarks>
internal static partial class FileKinds
{
    /// <summary>The kind of <paramref name="path"/> itself (a symbolic link is reported as one, not followed).</summary>
    public static FileKind Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsLinux() && TryStatx(path, out var kind)) return kind;
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) return FileKind.SymbolicLink;
        if (Directory.Exists(path)) return FileKind.Directory;
        return info.Exists ? FileKind.RegularFile : FileKind.Absent;
    }

    /// <summary>The kind of what <paramref name="path"/> finally names, following symbolic links (<see cref="FileKind.Absent"/> when a link dangles or loops).</summary>
    public static FileKind OfTarget(string path)
    {
        var kind = Of(path);
        if (kind != FileKind.SymbolicLink) return kind;
        try { return File.ResolveLinkTarget(path, returnFinalTarget: true) is { } target ? Of(target.FullName) : FileKind.Absent; }
        catch (IOException) { return FileKind.Absent; }
    }

    /// <summary>
    /// Null when <paramref name="path"/> names a regular file (directly or through links); otherwise the exception a
    /// reader should throw: <see cref="FileNotFoundException"/> when nothing is there, <see cref="InvalidDataException"/>
    /// when it is a directory, a FIFO, a device... Readers ask first because reading a FIFO waits forever and reading
    /// a directory fails with a message that does not say so.
    /// </summary>
    /// <param name="path">The input.</param>
    /// <param name="message">Makes the message from the problem ("does not exist", "is a directory, not a file").</param>
    public static Exception? CheckInputFile(string path, Func<string, string> message)
    {
        var kind = OfTarget(path);
        return kind switch
        {
            FileKind.RegularFile => null,
            FileKind.Absent => new FileNotFoundException(message("does not exist"), path),
            _ => new InvalidDataException(message($"is {Describe(kind)}, not a file")),
        };
    }

    /// <summary>A phrase for messages: "a character device", "a directory", ...</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Absent => "absent",
        FileKind.RegularFile => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.Socket => "a socket",
        _ => "neither a file, a directory nor a link",
    };

    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ENOENT = 2, ENOTDIR = 20, ENOSYS = 38;
    private static bool s_statxMissing;

    private static unsafe bool TryStatx(string path, out FileKind kind)
    {
        kind = FileKind.Absent;
        if (s_statxMissing) return false;
        // struct statx is 256 bytes; stx_mode is the 16-bit field at offset 28.
        byte* buffer = stackalloc byte[256];
        int result;
        try { result = Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer); }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_statxMissing = true;
            return false;
        }
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR) return true;
            if (errno == ENOSYS) s_statxMissing = true;
            return false;
        }
        kind = (*(ushort*)(buffer + 28) & 0xF000) switch
        {
            0x8000 => FileKind.RegularFile,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };
        return true;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);
}
