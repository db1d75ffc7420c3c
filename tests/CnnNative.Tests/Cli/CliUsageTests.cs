using CnnNative.Cli;
using CnnNative.Cli.Options;

namespace CnnNative.Tests.Cli;

/// <summary>Help texts, summaries of built-in models, devices, and the argument parser's rules.</summary>
public class CliUsageTests
{
    [Test]
    public void HelpListsEveryCommand()
    {
        var r = CliRunner.Run("--help");
        Assert.That(r.ExitCode, Is.Zero);
        foreach (var c in Program.Commands) Assert.That(r.Out, Does.Contain($"  {c.Name} "));
    }

    [Test]
    public void NoArgumentsIsAUsageError()
    {
        var r = CliRunner.Run();
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Error, Does.StartWith("usage: cnn COMMAND"));
    }

    private static IEnumerable<TestCaseData> CommandHelps()
        => Program.Commands.Select(c => new TestCaseData(c.Name).SetName($"help of {c.Name}"));

    [TestCaseSource(nameof(CommandHelps))]
    public void EveryCommandHasHelp(string command)
    {
        var r = CliRunner.Run(command, "--help");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.StartWith($"usage: cnn {command}").And.Contain("--verbose"));
    }

    [Test]
    public void TrainHelpNamesEveryOption()
    {
        var r = CliRunner.Run("train", "-h");
        foreach (var option in new[] { "--data", "--model", "--epochs", "--batch", "--optimizer", "--lr", "--device", "--seed",
                                       "--threads", "--out", "--metrics-out", "--limit" })
            Assert.That(r.Out, Does.Contain($"  {option} "), option);
    }

    [TestCase("lenet5", null, "61,706")]
    [TestCase("lenet5", "3,32,32", "83,126")]
    [TestCase("conv4k5-relu-maxpool2-dense10", null, "5,874")]
    public void SummaryPrintsTheParameterCount(string model, string? input, string total)
    {
        string[] args = input is null ? ["summary", model] : ["summary", "--model", model, "--input", input];
        var r = CliRunner.Run(args);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain($"Total params: {total} "));
    }

    [Test]
    public void DevicesListsTheReferenceDeviceAndExplainsTheOthers()
    {
        var r = CliRunner.Run("devices");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Match(@"│ reference\s+│ reference\s+│"));
        // Each of the other names is either in the table or listed with the reason it cannot be opened.
        foreach (var name in new[] { "cpu", "native", "opencl" })
            Assert.That(r.Out, Does.Match($@"(│ {name}\S*\s+│)|(  {name}: .+)"), name);
    }

    private static readonly ArgParser Parser = new ArgParser("test", "for tests")
        .Positional("INPUT", "a file", required: false)
        .Option("count", "N", "a number")
        .Option("rate", "R", "a float")
        .Flag("fast", "a flag");

    [Test]
    public void ParserReadsEveryForm()
    {
        var a = Parser.Parse(["--count=3", "--rate", "1e-3", "file.txt", "--fast"]);
        Assert.That(a.Int("count", 0), Is.EqualTo(3));
        Assert.That(a.Float("rate", 0), Is.EqualTo(1e-3f));
        Assert.That(a.Flag("fast"), Is.True);
        Assert.That(a.Positional(0), Is.EqualTo("file.txt"));
        Assert.That(Parser.Parse(["--count", "-4"]).Int("count", 0), Is.EqualTo(-4), "a negative number is a value, not an option");
        Assert.That(Parser.Parse(["--", "--fast"]).Positional(0), Is.EqualTo("--fast"));
        Assert.That(Parser.Parse([]).Int("count", 7), Is.EqualTo(7));
    }

    [TestCase(new[] { "--fast=yes" }, "--fast takes no value")]
    [TestCase(new[] { "--count", "1", "--count", "2" }, "--count is given twice")]
    [TestCase(new[] { "a", "b" }, "unexpected argument 'b'")]
    [TestCase(new[] { "--rate", "NaN" }, "'NaN' for --rate")]
    public void ParserRejects(string[] args, string message)
    {
        var e = Assert.Throws<UsageException>(() =>
        {
            var a = Parser.Parse(args);
            a.Float("rate", 0);
        });
        Assert.That(e!.Message, Does.Contain(message));
    }
}
