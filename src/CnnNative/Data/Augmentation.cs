using System.Globalization;

namespace CnnNative.Data;

/// <summary>
/// Random changes to training images, new ones every epoch: a shift of up to <see cref="CropPadding"/> pixels each
/// way (a random crop, at the image's own size, of the image zero-padded by that much on every side) and a
/// horizontal flip with probability 1/2. Give it to a <see cref="DataLoader"/> (or <c>Fit(augmentation: ...)</c>);
/// validation and test data are never augmented.
/// </summary>
/// <remarks>
/// The change made to an image is a hash of (seed, epoch, image index), not a draw from a running generator: the
/// same seed gives the same images in every run and at every batch size, and a training run resumed from a
/// checkpoint sees exactly the images an uninterrupted one would. It is applied while the loader copies each image
/// into its batch, so it costs one pass over the pixels and allocates nothing.
/// </remarks>
public sealed class Augmentation
{
    /// <param name="cropPadding">Largest shift in pixels, each way (0 for none); 2 suits 28×28 images.</param>
    /// <param name="flip">Mirror left-right half of the images.</param>
    public Augmentation(int cropPadding = 2, bool flip = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cropPadding);
        if (cropPadding == 0 && !flip)
            throw new ArgumentException("An augmentation with no crop padding and no flip changes nothing; pass null for none.", nameof(flip));
        CropPadding = cropPadding;
        Flip = flip;
    }

    /// <summary>Largest shift in pixels, in each of the four directions.</summary>
    public int CropPadding { get; }

    /// <summary>Whether half of the images are mirrored left-right.</summary>
    public bool Flip { get; }

    /// <summary>The text <see cref="Parse"/> reads back: "crop2,flip", "crop2", "flip".</summary>
    public string Spec => string.Join(',', new[] { CropPadding > 0 ? $"crop{CropPadding}" : null, Flip ? "flip" : null }.OfType<string>());

    /// <summary>
    /// Reads "crop,flip" (crop pads 2 pixels), "crop3" (3 pixels), "flip", or a comma list of those; "none" (or
    /// an empty text) gives null.
    /// </summary>
    /// <exception cref="FormatException">An unknown part, or one given twice.</exception>
    public static Augmentation? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim().ToLowerInvariant();
        if (trimmed is "" or "none") return null;
        int? crop = null;
        bool flip = false;
        foreach (string part in trimmed.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part == "flip" && !flip) flip = true;
            else if (part.StartsWith("crop", StringComparison.Ordinal) && crop is null)
                crop = part.Length == 4 ? 2
                     : int.TryParse(part.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p > 0 ? p
                     : throw new FormatException($"'{part}' in augmentation '{text}': the crop padding must be a positive whole number, as in crop2.");
            else
                throw new FormatException($"'{part}' in augmentation '{text}' is unknown or repeated; expected crop, cropN, flip (comma-separated) or none.");
        }
        return new Augmentation(crop ?? 0, flip);
    }

    /// <summary>Throws unless the images of <paramref name="dataset"/> can be shifted and flipped.</summary>
    internal void CheckShape(Dataset dataset)
    {
        var shape = dataset.InputShape;
        if (shape.Rank != 3)
            throw new ArgumentException($"Augmentation {Spec} needs (channels, height, width) images; {dataset.Source} holds {shape}.");
        if (CropPadding >= shape[1] || CropPadding >= shape[2])
            throw new ArgumentException($"Augmentation {Spec} shifts up to {CropPadding} pixels, which is not less than the {shape[1]}x{shape[2]} images of {dataset.Source}.");
    }

    /// <summary>
    /// Writes image <paramref name="row"/> of epoch <paramref name="epoch"/>, shifted and perhaps flipped, from
    /// <paramref name="source"/> into <paramref name="destination"/> (both C·H·W floats).
    /// </summary>
    internal void Apply(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width, int seed, int epoch, int row)
    {
        ulong draw = Draw(seed, epoch, row);
        uint span = (uint)(2 * CropPadding + 1);
        int dx = (int)((uint)draw % span) - CropPadding;
        int dy = (int)((uint)(draw >> 24) % span) - CropPadding;
        bool flip = Flip && (draw >> 63) != 0;
        // Output pixel (y, x) is input pixel (y + dy, x + dx), zero where that falls outside the image.
        int from = Math.Max(0, -dx), to = Math.Min(width, width - dx);
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                var output = destination.Slice((c * height + y) * width, width);
                int sy = y + dy;
                if ((uint)sy >= (uint)height || from >= to)
                {
                    output.Clear();
                    continue;
                }
                output[..from].Clear();
                source.Slice((c * height + sy) * width + from + dx, to - from).CopyTo(output[from..to]);
                output[to..].Clear();
                if (flip) output.Reverse();
            }
        }
    }

    /// <summary>64 well-mixed bits from (seed, epoch, row): SplitMix64 steps, one per input.</summary>
    private static ulong Draw(int seed, int epoch, int row)
        => Mix(Mix(Mix((uint)seed) ^ (uint)epoch) ^ (uint)row);

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The same as <see cref="Spec"/>.</summary>
    public override string ToString() => Spec;
}
