using System.Buffers.Binary;
using System.Text;

namespace CnnNative.Tests.Fuzz;

/// <summary>
/// A seeded, in-process mutator in the manner of libFuzzer's: each call makes one to four edits to a copy of a
/// seed — bit flips, bytes set to boundary values, truncations, insertions, deletions, duplicated ranges,
/// splices with another seed, integers written over length fields (1, 2, 4 or 8 bytes, either byte order, mostly
/// near the start where headers are), and decimal numbers in text replaced by boundary values. The same seed and
/// random state give the same inputs, so any failure replays.
/// </summary>
internal sealed class Mutator(Random rng)
{
    private static readonly long[] Integers =
        [0, 1, -1, 2, 3, 8, 16, 28, 255, 256, 0x7F, 0x80, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         1L << 32, 1L << 40, long.MaxValue, long.MinValue];

    private static readonly string[] Numbers =
        ["0", "1", "-1", "2", "28", "255", "256", "30000", "65535", "65536", "2147483647", "2147483648", "-2147483648",
         "4294967295", "4294967296", "9223372036854775807", "18446744073709551616", "99999999999999999999", "1e308", "0.5", "-0", ""];

    public Random Random => rng;

    /// <summary>A mutated copy of <paramref name="seed"/>; <paramref name="others"/> supply splices.</summary>
    public byte[] Mutate(byte[] seed, IReadOnlyList<byte[]> others)
    {
        var data = new List<byte>(seed);
        for (int edits = rng.Next(1, 5); edits > 0; edits--)
        {
            switch (rng.Next(9))
            {
                case 0: FlipBit(data); break;
                case 1: SetBoundaryByte(data); break;
                case 2: Truncate(data); break;
                case 3: Insert(data); break;
                case 4: Delete(data); break;
                case 5: Duplicate(data); break;
                case 6: Splice(data, others[rng.Next(others.Count)]); break;
                case 7: WriteInteger(data); break;
                default: ReplaceNumber(data); break;
            }
        }
        return data.ToArray();
    }

    /// <summary>Mutates the tokens of a '-'-joined spec: drop, repeat, swap or borrow tokens, then byte-level edits.</summary>
    public byte[] MutateTokens(string spec, IReadOnlyList<string> others)
    {
        var tokens = spec.Split('-').ToList();
        switch (rng.Next(4))
        {
            case 0 when tokens.Count > 1: tokens.RemoveAt(rng.Next(tokens.Count)); break;
            case 1: tokens.Insert(rng.Next(tokens.Count + 1), tokens[rng.Next(tokens.Count)]); break;
            case 2: (tokens[0], tokens[^1]) = (tokens[^1], tokens[0]); break;
            default:
                var other = others[rng.Next(others.Count)].Split('-');
                tokens.Insert(rng.Next(tokens.Count + 1), other[rng.Next(other.Length)]);
                break;
        }
        var text = Encoding.ASCII.GetBytes(string.Join('-', tokens));
        return rng.Next(2) == 0 ? text : Mutate(text, others.Select(Encoding.ASCII.GetBytes).ToList());
    }

    private int Position(List<byte> data, bool header = false)
        => data.Count == 0 ? 0 : header && rng.Next(2) == 0 ? rng.Next(Math.Min(data.Count, 32)) : rng.Next(data.Count);

    private void FlipBit(List<byte> data)
    {
        if (data.Count == 0) return;
        int i = Position(data, header: true);
        data[i] ^= (byte)(1 << rng.Next(8));
    }

    private void SetBoundaryByte(List<byte> data)
    {
        if (data.Count == 0) return;
        data[Position(data, header: true)] = (byte)Integers[rng.Next(11)];
    }

    private void Truncate(List<byte> data)
    {
        int keep = data.Count == 0 ? 0 : rng.Next(data.Count);
        data.RemoveRange(keep, data.Count - keep);
    }

    private void Insert(List<byte> data)
    {
        var bytes = new byte[rng.Next(1, 64)];
        rng.NextBytes(bytes);
        data.InsertRange(rng.Next(data.Count + 1), bytes);
    }

    private void Delete(List<byte> data)
    {
        if (data.Count == 0) return;
        int start = rng.Next(data.Count);
        data.RemoveRange(start, rng.Next(1, Math.Min(64, data.Count - start) + 1));
    }

    private void Duplicate(List<byte> data)
    {
        if (data.Count == 0) return;
        int start = rng.Next(data.Count), length = rng.Next(1, Math.Min(256, data.Count - start) + 1);
        data.InsertRange(rng.Next(data.Count + 1), data.GetRange(start, length));
    }

    private void Splice(List<byte> data, byte[] other)
    {
        int keep = data.Count == 0 ? 0 : rng.Next(data.Count + 1), from = other.Length == 0 ? 0 : rng.Next(other.Length);
        data.RemoveRange(keep, data.Count - keep);
        data.AddRange(other.AsSpan(from).ToArray());
    }

    private void WriteInteger(List<byte> data)
    {
        int width = 1 << rng.Next(4);
        if (data.Count < width) return;
        int at = Math.Min(Position(data, header: true), data.Count - width);
        if (rng.Next(2) == 0) at &= ~3;
        long value = rng.Next(4) == 0 ? data.Count + rng.Next(-2, 3) : Integers[rng.Next(Integers.Length)];
        Span<byte> bytes = stackalloc byte[8];
        if (rng.Next(2) == 0) BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        else BinaryPrimitives.WriteInt64BigEndian(bytes, value << (64 - 8 * width)); // the low bytes, most significant first
        for (int i = 0; i < width; i++) data[at + i] = bytes[i];
    }

    private void ReplaceNumber(List<byte> data)
    {
        var runs = new List<(int Start, int Length)>();
        for (int i = 0; i < data.Count;)
        {
            int start = i;
            while (i < data.Count && data[i] is >= (byte)'0' and <= (byte)'9') i++;
            if (i > start) runs.Add((start, i - start));
            else i++;
        }
        if (runs.Count == 0) return;
        var (at, length) = runs[rng.Next(runs.Count)];
        data.RemoveRange(at, length);
        data.InsertRange(at, Encoding.ASCII.GetBytes(Numbers[rng.Next(Numbers.Length)]));
    }
}
