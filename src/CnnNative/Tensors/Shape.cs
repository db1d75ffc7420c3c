using System.Runtime.CompilerServices;

namespace CnnNative.Tensors;

/// <summary>
/// The dimensions of a tensor, outermost first (NCHW for image batches, NF for flat features).
/// Immutable, at most four dimensions, compared by value.
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int _d0, _d1, _d2, _d3;

    /// <summary>Number of dimensions (0 to 4).</summary>
    public int Rank { get; }

    /// <summary>A shape of these dimensions, outermost first: at most four, each positive.</summary>
    /// <exception cref="ArgumentException">More than four dimensions, or one that is not positive.</exception>
    public Shape(params ReadOnlySpan<int> dims)
    {
        if (dims.Length > 4) throw new ArgumentException($"A shape has at most 4 dimensions, got {dims.Length}.", nameof(dims));
        for (int i = 0; i < dims.Length; i++)
            if (dims[i] <= 0) throw new ArgumentException($"Shape dimensions must be positive, got ({string.Join(", ", dims.ToArray())}).", nameof(dims));
        Rank = dims.Length;
        _d0 = dims.Length > 0 ? dims[0] : 1;
        _d1 = dims.Length > 1 ? dims[1] : 1;
        _d2 = dims.Length > 2 ? dims[2] : 1;
        _d3 = dims.Length > 3 ? dims[3] : 1;
    }

    /// <summary>The size of dimension <paramref name="axis"/> (0 is the outermost); throws outside 0..Rank−1.</summary>
    public int this[int axis]
    {
        get
        {
            if ((uint)axis >= (uint)Rank) throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} is outside shape {this}.");
            return axis switch { 0 => _d0, 1 => _d1, 2 => _d2, _ => _d3 };
        }
    }

    /// <summary>Product of all dimensions.</summary>
    public int Size
    {
        get
        {
            long size = (long)_d0 * _d1 * _d2 * _d3;
            if (size > int.MaxValue) throw new OverflowException($"Shape {this} has more than int.MaxValue elements.");
            return (int)size;
        }
    }

    /// <summary>The dimensions as a new array, outermost first.</summary>
    public int[] ToArray()
    {
        var a = new int[Rank];
        for (int i = 0; i < Rank; i++) a[i] = this[i];
        return a;
    }

    /// <summary>This shape with a batch dimension in front: (C,H,W) becomes (n,C,H,W).</summary>
    public Shape WithBatch(int n)
    {
        if (Rank >= 4) throw new InvalidOperationException($"Shape {this} already has 4 dimensions; cannot add a batch dimension.");
        Span<int> d = stackalloc int[Rank + 1];
        d[0] = n;
        for (int i = 0; i < Rank; i++) d[i + 1] = this[i];
        return new Shape(d);
    }

    /// <summary>This shape without its first (batch) dimension.</summary>
    public Shape WithoutBatch()
    {
        if (Rank < 2) throw new InvalidOperationException($"Shape {this} has no dimension left after removing the batch.");
        Span<int> d = stackalloc int[Rank - 1];
        for (int i = 1; i < Rank; i++) d[i - 1] = this[i];
        return new Shape(d);
    }

    /// <summary>Same rank and the same dimensions.</summary>
    public bool Equals(Shape other)
        => Rank == other.Rank && _d0 == other._d0 && _d1 == other._d1 && _d2 == other._d2 && _d3 == other._d3;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Rank, _d0, _d1, _d2, _d3);
    /// <summary>Same rank and the same dimensions.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    /// <summary>A different rank or a different dimension.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>The dimensions in parentheses, e.g. "(1, 28, 28)".</summary>
    public override string ToString()
    {
        var parts = new DefaultInterpolatedStringHandler(2 + Rank * 4, 0);
        parts.AppendLiteral("(");
        for (int i = 0; i < Rank; i++)
        {
            if (i > 0) parts.AppendLiteral(", ");
            parts.AppendFormatted(this[i]);
        }
        parts.AppendLiteral(")");
        return parts.ToStringAndClear();
    }
}
