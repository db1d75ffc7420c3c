using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace CnnNative.Serialization;

/// <summary>
/// An open safetensors file: its header, read and checked against the file's length when opened, and each
/// tensor's data read on demand, so a caller can check the tensor table before it allocates anything for the data.
/// </summary>
internal sealed class SafeTensorsFile : IDisposable
{
    private readonly Stream _file;
    private readonly bool _ownsStream;
    private readonly long _dataStart;

    private SafeTensorsFile(string path, Stream file, bool ownsStream, long dataStart, SafeTensorsHeader header)
        => (Path, _file, _ownsStream, _dataStart, Header) = (path, file, ownsStream, dataStart, header);

    /// <summary>The path as given to <see cref="Open(string)"/>, or the name given with a stream (used in messages).</summary>
    public string Path { get; }

    /// <summary>The checked header: tensors (by offset) and metadata.</summary>
    public SafeTensorsHeader Header { get; }

    /// <summary>Opens <paramref name="path"/> and reads its header (at most <see cref="SafeTensorsHeader.MaxBytes"/>).</summary>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The path is not a regular file, or its header breaks the format's rules.</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (FileKinds.CheckInputFile(path, problem => $"Model file '{path}' {problem}.") is { } error) throw error;
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        return Open(file, path, ownsStream: true);
    }

    /// <summary>
    /// Reads the header of the safetensors held by <paramref name="stream"/> from its current position to its end (a
    /// stream that cannot seek is first copied to memory); <paramref name="name"/> names it in messages.
    /// </summary>
    /// <exception cref="InvalidDataException">The header breaks the format's rules.</exception>
    public static SafeTensorsFile Open(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (stream.CanSeek) return Open(stream, name, ownsStream: false);
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return Open(copy, name, ownsStream: true);
    }

    private static SafeTensorsFile Open(Stream file, string path, bool ownsStream)
    {
        try
        {
            long origin = file.Position, length = file.Length - origin;
            Span<byte> prefix = stackalloc byte[8];
            if (length < 8) throw SafeTensorsHeader.Bad(path, $"it holds only {length} bytes");
            file.ReadExactly(prefix);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > SafeTensorsHeader.MaxBytes || 8 + (long)headerLength > length)
                throw SafeTensorsHeader.Bad(path, $"the header claims {headerLength} bytes but the file holds {length} (truncated?)");
            var json = new byte[headerLength];
            file.ReadExactly(json);
            long dataStart = origin + 8 + (long)headerLength;
            return new SafeTensorsFile(path, file, ownsStream, dataStart, SafeTensorsHeader.Parse(path, json, length - 8 - (long)headerLength));
        }
        catch
        {
            if (ownsStream) file.Dispose();
            throw;
        }
    }

    /// <summary>Reads F32 tensor <paramref name="entry"/> into <paramref name="destination"/> (exactly its element count).</summary>
    /// <exception cref="InvalidDataException">The tensor is not F32, or the file ends early (it changed since it was opened).</exception>
    public void ReadF32(SafeTensorEntry entry, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.DType != "F32") throw SafeTensorsHeader.Bad(Path, $"tensor '{entry.Name}' is {entry.DType}; only F32 is supported");
        if (destination.Length != entry.ElementCount)
            throw new ArgumentException($"Tensor '{entry.Name}' has {entry.ElementCount} values; the destination holds {destination.Length}.", nameof(destination));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading needs a little-endian machine.");
        var bytes = MemoryMarshal.AsBytes(destination);
        long offset = _dataStart + entry.Begin;
        while (bytes.Length > 0)
        {
            int n = _file is FileStream f ? RandomAccess.Read(f.SafeFileHandle, bytes, offset) : ReadAt(bytes, offset);
            if (n == 0) throw SafeTensorsHeader.Bad(Path, $"the file ends inside tensor '{entry.Name}' (did it change while it was read?)");
            bytes = bytes[n..];
            offset += n;
        }
    }

    /// <summary>Reads F32 tensor <paramref name="entry"/> into a new array.</summary>
    public float[] ReadF32(SafeTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.ElementCount > Array.MaxLength) throw SafeTensorsHeader.Bad(Path, $"tensor '{entry.Name}' has more values than one array holds");
        var values = new float[entry.ElementCount];
        ReadF32(entry, values);
        return values;
    }

    private int ReadAt(Span<byte> bytes, long offset)
    {
        _file.Position = offset;
        return _file.Read(bytes);
    }

    /// <summary>Closes the file (a stream given to <see cref="Open(Stream, string)"/> stays open).</summary>
    public void Dispose()
    {
        if (_ownsStream) _file.Dispose();
    }
}
