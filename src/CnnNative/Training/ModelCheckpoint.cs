using System.Globalization;
using System.Text.RegularExpressions;

namespace CnnNative.Training;

/// <summary>
/// Saves the model (safetensors, atomically) after every epoch, or only after those that improve the monitored
/// quantity (Keras' ModelCheckpoint). The path may hold "{epoch}" or "{epoch:D2}", replaced by the epoch number,
/// to keep one file per epoch; its folder is created when missing.
/// </summary>
public sealed partial class ModelCheckpoint : IResumableCallback
{
    private readonly MetricMonitor _monitor;

    /// <param name="path">Where to save, e.g. "best.safetensors" or "run/epoch{epoch:D2}.safetensors".</param>
    /// <param name="monitor">"val_loss" (default), "val_accuracy", "loss" or "accuracy"; used with saveBestOnly.</param>
    /// <param name="saveBestOnly">Save only after epochs that improve the monitored quantity.</param>
    /// <param name="mode">Whether the quantity should fall or rise (Auto: rise for accuracies).</param>
    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false, MonitorMode mode = MonitorMode.Auto)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _monitor = new MetricMonitor(monitor, mode, minDelta: 0);
        (Path, SaveBestOnly, Best) = (path, saveBestOnly, _monitor.Worst);
        _ = FormatPath(1); // a bad "{epoch:...}" format fails here, not after the first epoch
    }

    /// <summary>Where the model is saved, "{epoch}" still in it when given.</summary>
    public string Path { get; }
    /// <summary>The quantity that decides "best" with <see cref="SaveBestOnly"/>.</summary>
    public string Monitor => _monitor.Name;
    /// <summary>Whether only epochs that improve <see cref="Monitor"/> are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <summary>The best value seen so far (with <see cref="SaveBestOnly"/>).</summary>
    public double Best { get; private set; }

    /// <summary>The file written last, or null before the first save.</summary>
    public string? LastSaved { get; private set; }

    void ICallback.OnTrainBegin(TrainingContext context)
    {
        if (SaveBestOnly) _monitor.CheckAvailable(context, nameof(ModelCheckpoint));
        Best = _monitor.Worst;
    }

    void ICallback.OnEpochEnd(TrainingContext context, EpochResult result)
    {
        double value = _monitor.Read(result);
        if (SaveBestOnly)
        {
            if (!_monitor.IsImprovement(value, Best)) return;
            Best = value;
        }
        string path = FormatPath(result.Epoch);
        string? folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        context.Model.Save(path, new Dictionary<string, string>
        {
            ["epoch"] = result.Epoch.ToString(CultureInfo.InvariantCulture),
            [Monitor] = value.ToString("R", CultureInfo.InvariantCulture),
        });
        LastSaved = path;
    }

    private string FormatPath(int epoch) => EpochPattern().Replace(Path, m =>
    {
        string format = m.Groups["format"].Success ? m.Groups["format"].Value : "";
        try { return epoch.ToString(format, CultureInfo.InvariantCulture); }
        catch (FormatException e) { throw new ArgumentException($"ModelCheckpoint path '{Path}': '{m.Value}' is not a number format.", nameof(Path), e); }
    });

    [GeneratedRegex(@"\{epoch(:(?<format>[^}]*))?\}")]
    private static partial Regex EpochPattern();

    void IResumableCallback.SaveState(CallbackState state) => state.Values["best"] = Best;

    void IResumableCallback.LoadState(CallbackState state) => Best = state.Value("best");
}
