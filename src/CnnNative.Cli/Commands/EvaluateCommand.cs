using System.CommandLine;
using System.Globalization;
using CnnNative.Cli.Options;
using CnnNative.Cli.Output;
using CnnNative.Data;
using Spectre.Console;

namespace CnnNative.Cli.Commands;

/// <summary>`cnn evaluate`: a saved model on the test set: accuracy, accuracy per class, confusion matrix.</summary>
public static class EvaluateCommand
{
    private static readonly Option<string> Model = CliOptions.Text("--model", "FILE", "a model saved by cnn train", required: true);
    private static readonly Option<string> Data = CliOptions.Text("--data", "DIR", $"folder with t10k- images and labels (default {FashionMnist.DefaultFolder})");
    private static readonly Option<string> Device = DeviceOption.Create("cpu");
    private static readonly Option<int?> Threads = DeviceOption.Threads();
    private static readonly Option<int?> Batch = CliOptions.Int("--batch", "N", "images per forward pass (default 256)", min: 1);
    private static readonly Option<bool> AllowNonFinite = SavedModel.AllowNonFinite();

    /// <summary>The command's name, description and options.</summary>
    internal static Command Definition { get; } = new("evaluate", "Evaluates a saved model on the test (t10k-) files of a data folder.")
    {
        Model, Data, Device, Threads, Batch, AllowNonFinite,
    };

    /// <summary>Runs `cnn evaluate`.</summary>
    public static int Run(ParseResult a, CliContext ctx)
    {
        string modelPath = a.GetValue(Model)!;
        string dataDir = a.GetValue(Data) ?? FashionMnist.DefaultFolder;
        int batch = a.GetValue(Batch) ?? 256;
        using var device = DeviceOption.Open(a.GetValue(Device) ?? "cpu", a.GetValue(Threads) ?? 0, ctx);
        using var saved = SavedModel.Load(modelPath, device, ctx.LoggerFactory, a.GetValue(AllowNonFinite));
        var test = Dataset.LoadFolder(dataDir, train: false, classCount: saved.Model.OutputShape.Size);

        var result = saved.Model.Evaluate(test, batch, confusion: true);
        var names = saved.ClassNames;
        var matrix = result.Confusion!;
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"accuracy {EpochLine.Percent(result.Accuracy)} on {Counts.Of(result.Count, "test image")} (loss {result.Loss:F4}), {modelPath} on {device.Name}"));

        var perClass = new Table().Title("accuracy per class")
            .AddColumn("class").AddColumn(new TableColumn("images").RightAligned()).AddColumn(new TableColumn("accuracy").RightAligned());
        var accuracy = result.PerClassAccuracy();
        for (int c = 0; c < names.Count; c++)
            perClass.AddRow(Markup.Escape($"{c} {names[c]}"), Row(matrix, c).Sum().ToString("N0", CultureInfo.InvariantCulture),
                            double.IsNaN(accuracy[c]) ? "-" : EpochLine.Percent(accuracy[c]));
        ctx.Console.Write(perClass);

        // Rows are the true class, columns the predicted one; column heads are indices to keep the table narrow.
        var confusion = new Table().Title("confusion matrix (rows: true class, columns: predicted)").AddColumn("true \\ predicted");
        for (int c = 0; c < names.Count; c++) confusion.AddColumn(new TableColumn(c.ToString(CultureInfo.InvariantCulture)).RightAligned());
        for (int t = 0; t < names.Count; t++)
        {
            var cells = new List<string> { Markup.Escape($"{t} {names[t]}") };
            for (int p = 0; p < names.Count; p++)
                cells.Add(p == t ? $"[bold]{matrix[t, p]}[/]" : matrix[t, p].ToString(CultureInfo.InvariantCulture));
            confusion.AddRow(cells.ToArray());
        }
        ctx.Console.Write(confusion);
        return Program.Ok;
    }

    private static IEnumerable<int> Row(int[,] m, int row) => Enumerable.Range(0, m.GetLength(1)).Select(c => m[row, c]);
}
