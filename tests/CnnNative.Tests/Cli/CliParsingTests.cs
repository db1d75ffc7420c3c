using CnnNative.Cli;
using CnnNative.Tests.Data;

namespace CnnNative.Tests.Cli;

/// <summary>
/// How every command reads its command line (System.CommandLine underneath): help, version, typos answered with a
/// suggestion, wrong values refused with exit code 2 and a message naming the option, the forms an option may take,
/// and the [suggest] directive behind tab completion.
/// </summary>
public class CliParsingTests
{
    private static IEnumerable<TestCaseData> EveryCommand()
        => Program.Commands.Select(c => new TestCaseData(c.Name).SetName($"parsing of {c.Name}"));

    [TestCaseSource(nameof(EveryCommand))]
    public void HelpListsEveryOptionOfTheCommand(string command)
    {
        var definition = Program.Commands.Single(c => c.Name == command).Definition;
        var r = CliRunner.Run(command, "--help");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Error, Is.Empty);
        foreach (var option in definition.Options)
            Assert.That(r.Out, Does.Contain($"  {option.Name} "), option.Name);
        Assert.That(r.Out, Does.Contain(definition.Description!.Split(' ')[0]), "the description opens the help");
    }

    [TestCaseSource(nameof(EveryCommand))]
    public void AMistypedOptionIsNamedWithASuggestion(string command)
    {
        string option = Program.Commands.Single(c => c.Name == command).Definition.Options.First().Name;
        string typo = option[..^1];
        var r = CliRunner.Run(command, typo, "x");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(OneLine(r), Does.StartWith($"cnn: unknown option '{typo}' for 'cnn {command}' (did you mean {option}?); valid options: ")
                                    .And.Contain("--help").And.EndWith($"(see cnn {command} --help)"));
    }

    private static IEnumerable<TestCaseData> WrongValues()
    {
        TestCaseData Case(string message, params string[] args) => new TestCaseData(args, message).SetName($"wrong value: {string.Join(' ', args)}");
        yield return Case("invalid value 'zero' for --epochs: expected a whole number", "train", "--epochs", "zero");
        yield return Case("invalid value 'NaN' for --lr: expected a finite number", "train", "--lr", "NaN");
        yield return Case("invalid value '1e-3x' for --validation-split", "train", "--validation-split", "1e-3x");
        yield return Case("invalid value 'rmsprop' for --optimizer: expected adam or sgd", "train", "--optimizer", "rmsprop");
        yield return Case("invalid value 'val_acc' for --monitor: expected val_loss or val_accuracy or loss or accuracy", "train", "--monitor", "val_acc");
        yield return Case("invalid value '0' for --batch: expected a whole number ≥ 1", "evaluate", "--model", "m.safetensors", "--batch", "0");
        yield return Case("invalid value '0' for --top: expected a whole number ≥ 1", "predict", "--model", "m.safetensors", "--top", "0", "x.png");
        yield return Case("invalid value '-1' for --threads: expected a whole number ≥ 0", "devices", "--threads", "-1");
        yield return Case("invalid value '2000' for --threads: expected a whole number from 0 to 1024", "bench", "--threads", "2000");
        yield return Case("invalid value '0' for --budget: expected a number above 0", "bench", "--budget", "0");
        yield return Case("invalid value 'x' for --threads", "filters", "--model", "m.safetensors", "--threads", "x");
        yield return Case("invalid value '1,28' for --input", "summary", "lenet5", "--input", "1,28");
        yield return Case("invalid value 'a,b,c' for --input", "import", "m.onnx", "--out", "m.safetensors", "--input", "a,b,c");
        yield return Case("'cnn export' needs --onnx OUT", "export", "--model", "m.safetensors");
    }

    [TestCaseSource(nameof(WrongValues))]
    public void AWrongValueIsAUsageErrorNamingTheOption(string[] args, string message)
    {
        var r = CliRunner.Run(args);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(OneLine(r), Does.StartWith("cnn: ").And.Contain(message));
    }

    private static IEnumerable<TestCaseData> Forms()
    {
        TestCaseData Case(string name, string message, params string[] args) => new TestCaseData(args, message).SetName(name);
        yield return Case("a switch takes no value", "option --allow-non-finite takes no value, got 'yes'", "summary", "lenet5", "--allow-non-finite=yes");
        yield return Case("an option given twice", "option --input is given twice", "summary", "lenet5", "--input", "1,28,28", "--input", "1,28,28");
        yield return Case("an option as another's value", "option --out needs a value (FILE)", "train", "--out", "--epochs", "3");
        yield return Case("an option-like word as an input", "unknown option '--modle' for 'cnn predict' (did you mean --model?)",
                          "predict", "--model", "m.safetensors", "--modle", "x.png");
        yield return Case("a mistyped command", "unknown command 'trian' (did you mean train?); commands: train, evaluate", "trian");
        yield return Case("no command", "no command given; commands: train", "--verbose");
        yield return Case("help of an unknown command", "unknown command 'nosuch'", "help", "nosuch");
    }

    [TestCaseSource(nameof(Forms))]
    public void CommandLineMistakes(string[] args, string message)
    {
        var r = CliRunner.Run(args);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(OneLine(r), Does.Contain(message));
    }

    [Test]
    public void OptionsReadEveryForm()
    {
        // --name=value, options before the positional, and "--" ending the options.
        var equals = CliRunner.Run("summary", "--input=3,32,32", "--model=lenet5");
        var dashes = CliRunner.Run("summary", "--input", "3,32,32", "--", "lenet5");
        foreach (var r in new[] { equals, dashes })
        {
            Assert.That(r.ExitCode, Is.Zero, r.ToString());
            Assert.That(r.Out, Does.Contain("Total params: 83,126 "));
        }
        // A negative number is a value, not an option; "@file" is a file name, not a response file.
        Assert.That(OneLine(CliRunner.Run("bench", "--threads", "-4")), Does.Contain("invalid value '-4' for --threads"));
        var at = CliRunner.Run("summary", "@missing.safetensors");
        Assert.That(at.ExitCode, Is.EqualTo(1), at.ToString());
        Assert.That(OneLine(at), Does.Contain("'@missing.safetensors' does not exist"));
    }

    [Test]
    public void SummaryErrorsNameItsOwnArgument()
    {
        var positional = CliRunner.Run("summary", "conv4k5-relux-dense10");
        var option = CliRunner.Run("summary", "--model", "conv4k5-relux-dense10");
        var neither = CliRunner.Run("summary");
        var both = CliRunner.Run("summary", "lenet5", "--model", "convnet");
        Assert.That(OneLine(positional), Does.StartWith("cnn: invalid value for MODEL: ").And.Contain("'relux'"));
        Assert.That(OneLine(option), Does.StartWith("cnn: invalid value for --model: "));
        Assert.That(OneLine(neither), Does.StartWith("cnn: 'cnn summary' needs a MODEL"));
        Assert.That(OneLine(both), Does.Contain("either as MODEL or as --model"));
        Assert.That(new[] { positional, option, neither, both }.Select(r => r.ExitCode), Is.All.EqualTo(2));
    }

    [Test]
    public void VersionAndHelpAreTheParsersOwn()
    {
        var version = CliRunner.Run("--version");
        Assert.That(version.ExitCode, Is.Zero);
        Assert.That(version.Out, Does.Match(@"^cnn \d+\.\d+\.\d+"));

        var help = CliRunner.Run("-h");
        Assert.That(help.Out, Does.Contain("Commands:").And.Contain("Exit codes: 0 success, 1 the run failed, 2 the command line is wrong")
                                 .And.Contain("dotnet-suggest"));
        Assert.That(CliRunner.Run("help", "train").Out, Is.EqualTo(CliRunner.Run("train", "--help").Out), "cnn help train = cnn train --help");
        Assert.That(CliRunner.Run("train", "--epoch", "3", "--help").ExitCode, Is.Zero, "help wins over the rest of the line");
    }

    [Test]
    public void SuggestDirectiveCompletesCommandsOptionsAndValues()
    {
        // What dotnet-suggest runs on Tab: the whole line as one argument, and the cursor position.
        Assert.That(Lines(CliRunner.Run("[suggest:15]", "cnn train --opt")), Is.EqualTo(new[] { "--optimizer" }));
        Assert.That(Lines(CliRunner.Run("[suggest:25]", "cnn train --optimizer ")), Is.EqualTo(new[] { "adam", "sgd" }));
        Assert.That(Lines(CliRunner.Run("[suggest:28]", "cnn evaluate --device ")), Does.Contain("opencl").And.Contain("cpu"));
        Assert.That(Lines(CliRunner.Run("[suggest:6]", "cnn ")), Is.SupersetOf(Program.Commands.Select(c => c.Name)));
    }

    private static string[] Lines(CliResult r) => r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>stderr, asserted to be exactly one line.</summary>
    private static string OneLine(CliResult r)
    {
        var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), r.ToString());
        return lines[0].TrimEnd('\r');
    }
}
