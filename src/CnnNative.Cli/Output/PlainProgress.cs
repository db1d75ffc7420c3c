using CnnNative.Training;

namespace CnnNative.Cli.Output;

/// <summary>Progress for logs and pipes: nothing per batch, one <see cref="EpochLine"/> per epoch.</summary>
internal sealed class PlainProgress(TextWriter output, string heldOut = "test") : TrainingProgress
{
    private int _epochs;

    public override T Run<T>(Func<T> training) => training();

    public override void WriteLine(string line)
    {
        output.WriteLine(line);
        output.Flush();
    }

    public override void OnEpochStart(int epoch, int epochs, int batches) => _epochs = epochs;

    public override bool OnEpochEnd(EpochResult result)
    {
        output.WriteLine(EpochLine.Format(result, _epochs, heldOut));
        output.Flush();
        return true;
    }
}
