using System.Globalization;
using CnnNative.Training;

namespace CnnNative.Cli.Output;

/// <summary>The line printed after each epoch, the same in a terminal and in a log.</summary>
internal static class EpochLine
{
    /// <summary>"epoch 1/5: loss 0.4123, train accuracy 85.1 %, test accuracy 87.9 %, 41.2 s, 1455 images/s".</summary>
    /// <param name="r">The epoch.</param>
    /// <param name="epochs">Epochs in the run.</param>
    /// <param name="heldOut">What the per-epoch held-out data is: "test", or "validation" with a validation split.</param>
    public static string Format(EpochResult r, int epochs, string heldOut = "test")
    {
        string test = r.ValidationAccuracy is { } v ? $", {heldOut} accuracy {Percent(v)}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {r.Epoch}/{epochs}: loss {r.TrainLoss:F4}, train accuracy {Percent(r.TrainAccuracy)}{test}, {r.Seconds:F1} s, {r.ImagesPerSecond:F0} images/s");
    }

    /// <summary>0.879 → "87.9 %".</summary>
    public static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{100 * fraction:F1} %");
}
