using CnnNative.Cli;

namespace CnnNative.Tests.Cli;

/// <summary>Help texts, summaries of built-in models and devices; the parser's rules are in <see cref="CliParsingTests"/>.</summary>
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
        Assert.That(r.Error, Does.Contain("Usage:\n  cnn [command] [options]").And.Contain("Exit codes:"));
    }

    private static IEnumerable<TestCaseData> CommandHelps()
        => Program.Commands.Select(c => new TestCaseData(c.Name).SetName($"help of {c.Name}"));

    [TestCaseSource(nameof(CommandHelps))]
    public void EveryCommandHasHelp(string command)
    {
        var r = CliRunner.Run(command, "--help");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Out, Does.Contain($"Usage:\n  cnn {command}").And.Contain("--verbose"));
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
}
