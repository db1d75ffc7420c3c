using System.Globalization;
using CnnNative.Training;
using Spectre.Console;

namespace CnnNative.Cli.Output;

/// <summary>
/// A Spectre.Console progress bar per epoch: batches done, running loss and accuracy, images/s and time left.
/// When the epoch (and its test pass) ends, the bar is finished and the <see cref="EpochLine"/> printed above it.
/// </summary>
internal sealed class LiveProgress(IAnsiConsole console, string heldOut = "test") : TrainingProgress
{
    private ProgressContext? _context;
    private ProgressTask? _task;
    private int _epochs;

    public override T Run<T>(Func<T> training)
    {
        T result = default!;
        console.Progress()
            .AutoClear(false)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                     new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                _context = ctx;
                result = training();
            });
        _context = null;
        return result;
    }

    public override void WriteLine(string line) => console.WriteLine(line);

    public override void OnEpochStart(int epoch, int epochs, int batches)
    {
        _epochs = epochs;
        _task = _context?.AddTask($"epoch {epoch}/{epochs}", maxValue: batches);
    }

    public override void OnBatchEnd(int epoch, int batch, int batches, double meanLoss, double accuracy, double imagesPerSecond)
    {
        if (_task is null) return;
        _task.Value = batch;
        _task.Description = string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch}/{_epochs}  loss {meanLoss:F4}  accuracy {EpochLine.Percent(accuracy)}  {imagesPerSecond:F0} images/s");
        // The last batch fills the bar, but the held-out pass still runs: say so rather than look stuck at 100 %.
        if (batch == batches) _task.Description += heldOut == "test" ? "  (testing)" : "  (validating)";
    }

    public override bool OnEpochEnd(EpochResult result)
    {
        _task?.StopTask();
        console.WriteLine(EpochLine.Format(result, _epochs, heldOut));
        return true;
    }
}
