using CnnNative.Serialization;
using CnnNative.Tensors;

namespace CnnNative.Data;

/// <summary>
/// A labelled image set held on the host: <see cref="Count"/> images of <see cref="InputShape"/> (C,H,W) as
/// float32 in [0,1], one after the other in a single NCHW array, and one integer label per image.
/// </summary>
/// <remarks>
/// <see cref="Take"/> and <see cref="Slice"/> return views that share the arrays (no copy), so taking the first
/// 5,000 of 60,000 training images costs nothing. Images are read-only through this type; <see cref="FromArrays"/>
/// keeps the caller's arrays as they are, so the caller must not change them afterwards.
/// </remarks>
public sealed partial class Dataset
{
    private readonly float[] _images;
    private readonly int[] _labels;
    private readonly int _start;
    private IReadOnlyList<string> _classNames;

    private Dataset(float[] images, int[] labels, int start, int count, Shape inputShape, int classCount,
        IReadOnlyList<string> classNames, string source)
    {
        _images = images;
        _labels = labels;
        _start = start;
        Count = count;
        InputShape = inputShape;
        ClassCount = classCount;
        _classNames = classNames;
        Source = source;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>The shape of one image, (C,H,W) for images (rank 1 to 3 for synthetic data).</summary>
    public Shape InputShape { get; }

    /// <summary>Floats per image (C·H·W).</summary>
    public int SampleSize => InputShape.Size;

    /// <summary>Number of classes; every label is in 0..ClassCount−1.</summary>
    public int ClassCount { get; }

    /// <summary>Where the data came from (file paths, or "arrays"), for messages and logs.</summary>
    public string Source { get; }

    /// <summary>
    /// One name per class: Fashion-MNIST's names for the ten-class data from a fashion-mnist folder,
    /// otherwise "0", "1", ...; set it to name the classes of other data.
    /// </summary>
    public IReadOnlyList<string> ClassNames
    {
        get => _classNames;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Count != ClassCount)
                throw new ArgumentException($"{Source} has {ClassCount} classes but {value.Count} class names were given.", nameof(value));
            _classNames = value;
        }
    }

    /// <summary>All images, NCHW, Count·C·H·W floats.</summary>
    public ReadOnlySpan<float> Images => _images.AsSpan(_start * SampleSize, Count * SampleSize);

    /// <summary>All labels, one per image.</summary>
    public ReadOnlySpan<int> Labels => _labels.AsSpan(_start, Count);

    /// <summary>The C·H·W floats of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index)
    {
        CheckIndex(index);
        return _images.AsSpan((_start + index) * SampleSize, SampleSize);
    }

    /// <summary>The label of image <paramref name="index"/>.</summary>
    public int Label(int index)
    {
        CheckIndex(index);
        return _labels[_start + index];
    }

    /// <summary>The first <paramref name="count"/> images (all of them when count ≥ Count). Shares memory with this set.</summary>
    public Dataset Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return Slice(0, Math.Min(count, Count));
    }

    /// <summary>Images start..start+count−1. Shares memory with this set.</summary>
    public Dataset Slice(int start, int count)
    {
        if (start < 0 || count <= 0 || (long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count),
                $"Slice({start}, {count}) is outside the {Count} images of {Source}; need 0 ≤ start and 0 < count ≤ {Count} − start.");
        return new Dataset(_images, _labels, _start + start, count, InputShape, ClassCount, _classNames, Source);
    }

    /// <summary>
    /// A data set over arrays the caller made (synthetic data in tests, data from another format). The arrays are
    /// used as they are, not copied.
    /// </summary>
    public static Dataset FromArrays(float[] images, Shape inputShape, int[] labels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputShape.Rank is < 1 or > 3)
            throw new ArgumentException($"The input shape of one sample must have 1 to 3 dimensions (C,H,W), got {inputShape}.", nameof(inputShape));
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (labels.Length == 0)
            throw new ArgumentException("A data set needs at least one sample; labels is empty.", nameof(labels));
        if ((long)labels.Length * inputShape.Size != images.Length)
            throw new ArgumentException(
                $"{labels.Length} labels of input shape {inputShape} need {(long)labels.Length * inputShape.Size} image values, got {images.Length}.",
                nameof(images));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentException($"Label {i} is {labels[i]}, outside 0..{classCount - 1}.", nameof(labels));
        return new Dataset(images, labels, 0, labels.Length, inputShape, classCount, NumberNames(classCount), "arrays");
    }

    /// <summary>
    /// Loads an idx3 image file and an idx1 label file (each optionally gzipped) and scales pixels to [0,1]; with
    /// <paramref name="limit"/>, only the first <paramref name="limit"/> images and labels are read.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is malformed, the counts differ, or a label is ≥ <paramref name="classCount"/>.</exception>
    public static Dataset LoadIdx(string imagesPath, string labelsPath, int classCount = 10, int limit = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        var images = IdxReader.ReadImages(imagesPath, limit);
        var rawLabels = IdxReader.ReadLabels(labelsPath, limit, out int labelCount);
        if (labelCount != images.DeclaredCount)
            throw DataFormat.Error(labelsPath,
                $"{labelCount} labels but {imagesPath} has {images.DeclaredCount} images; the two files must have the same count");

        var labels = new int[rawLabels.Length];
        for (int i = 0; i < rawLabels.Length; i++)
        {
            if (rawLabels[i] >= classCount)
                throw DataFormat.Error(labelsPath, $"label {i} is {rawLabels[i]}, outside 0..{classCount - 1} (classCount = {classCount})");
            labels[i] = rawLabels[i];
        }

        // A table gives exactly b / 255f for every byte, and one lookup per pixel.
        Span<float> scale = stackalloc float[256];
        for (int b = 0; b < 256; b++) scale[b] = b / 255f;
        var pixels = images.Pixels;
        var floats = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) floats[i] = scale[pixels[i]];

        var names = classCount == FashionMnist.ClassNames.Count && LooksLikeFashionMnist(imagesPath)
            ? FashionMnist.ClassNames
            : NumberNames(classCount);
        return new Dataset(floats, labels, 0, labels.Length, new Shape(1, images.Rows, images.Columns), classCount, names,
            $"{imagesPath} + {labelsPath}");
    }

    /// <summary>
    /// Loads the training (train-*) or test (t10k-*) files of an MNIST-style folder: train-images-idx3-ubyte and
    /// train-labels-idx1-ubyte, gzipped (.gz) or not.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist (the message says how to install the default one).</exception>
    /// <exception cref="FileNotFoundException">A file is missing from the folder, or is not a file.</exception>
    public static Dataset LoadFolder(string dir, bool train, int classCount = 10, int limit = int.MaxValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"Data folder {dir} does not exist. {FashionMnist.InstallHint}");
        string prefix = train ? "train" : "t10k";
        string images = FindFile(dir, $"{prefix}-images-idx3-ubyte");
        string labels = FindFile(dir, $"{prefix}-labels-idx1-ubyte");
        return LoadIdx(images, labels, classCount, limit);
    }

    /// <summary>Count, sample shape, classes and source on one line.</summary>
    public override string ToString() => $"Dataset of {Count} × {InputShape}, {ClassCount} classes, from {Source}";

    private static string FindFile(string dir, string name)
    {
        string? notAFile = null;
        foreach (var candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(dir, candidate);
            var kind = FileKinds.OfTarget(path);
            if (kind == FileKind.RegularFile) return path;
            if (kind != FileKind.Absent) notAFile ??= $"{path} is {FileKinds.Describe(kind)}, not a data file";
        }
        throw new FileNotFoundException(notAFile is not null
            ? $"{notAFile}; data folder {dir} needs {name}.gz or {name} as a file."
            : $"Data folder {dir} has neither {name}.gz nor {name}. {FashionMnist.InstallHint}", Path.Combine(dir, name + ".gz"));
    }

    private static bool LooksLikeFashionMnist(string imagesPath)
    {
        string? folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(imagesPath)));
        return folder is not null && folder.Contains("fashion", StringComparison.OrdinalIgnoreCase);
    }

    private static string[] NumberNames(int classCount)
    {
        var names = new string[classCount];
        for (int i = 0; i < classCount; i++) names[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return names;
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"Index {index} is outside the {Count} images of {Source}.");
    }
}
