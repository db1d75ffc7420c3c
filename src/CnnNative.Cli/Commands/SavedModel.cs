using System.CommandLine;
using System.Globalization;
using CnnNative.Cli.Options;
using CnnNative.Devices;
using CnnNative.Serialization;
using CnnNative.Training;
using Microsoft.Extensions.Logging;

namespace CnnNative.Cli.Commands;

/// <summary>
/// A model file as the commands use it: the network plus what `cnn train` wrote into its metadata
/// (class names, epochs, test accuracy, device).
/// </summary>
internal sealed class SavedModel : IDisposable
{
    /// <summary>Metadata keys `cnn train` writes besides the library's own (format, spec, input_shape, ...).</summary>
    public const string ClassesKey = "classes", EpochsKey = "epochs", TestAccuracyKey = "test_accuracy", DeviceKey = "device";

    private SavedModel(string path, Sequential model, IReadOnlyDictionary<string, string> metadata)
        => (Path, Model, Metadata) = (path, model, metadata);

    public string Path { get; }
    public Sequential Model { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The --allow-non-finite flag of every command that loads a model.</summary>
    public static Option<bool> AllowNonFinite()
        => CliOptions.Flag("--allow-non-finite", "load a model whose weights hold NaN or infinity (refused by default; its outputs will be NaN)");

    /// <summary>Loads <paramref name="path"/>; the library's exceptions already name the file and the problem.</summary>
    public static SavedModel Load(string path, IDevice device, ILoggerFactory loggerFactory, bool allowNonFinite = false)
    {
        var model = ModelFile.Load(path, device, out var metadata, loggerFactory, new ModelLoadOptions { AllowNonFiniteWeights = allowNonFinite });
        return new SavedModel(path, model, metadata);
    }

    /// <summary>
    /// Class names by output index: those saved with the model when they fit its output, else "0", "1", ...
    /// (a model saved by the library directly has none).
    /// </summary>
    public IReadOnlyList<string> ClassNames
    {
        get
        {
            int outputs = Model.OutputShape.Size;
            if (Metadata.TryGetValue(ClassesKey, out var joined))
            {
                var names = joined.Split('|');
                if (names.Length == outputs) return names;
            }
            return Enumerable.Range(0, outputs).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        }
    }

    public void Dispose() => Model.Dispose();
}
