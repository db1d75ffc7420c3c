namespace CnnNative.Serialization;

/// <summary>What a path names, as the operating system sees it (the file type of lstat, which does not follow a link).</summary>
internal enum FileKind
{
    /// <summary>Nothing is there (or a folder on the way is missing or is not a folder).</summary>
    Absent,
    RegularFile,
    Directory,
    SymbolicLink,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,

    /// <summary>A type this list does not name.</summary>
    Other,
}
