using System.Globalization;
using CnnNative.Devices.Reference;
using CnnNative.Tests.Data;

namespace CnnNative.Tests.Fuzz;

/// <summary>
/// The bounded fuzz run of the test task: each parser of untrusted input gets its corpus and
/// <see cref="DefaultIterations"/> mutated inputs (seed <see cref="DefaultSeed"/>, so CI runs the same inputs every
/// time) and must end each with a result or its documented exception, within 2 s and 500 MB.
/// Longer runs: CNN_FUZZ_ITERATIONS=100000 CNN_FUZZ_SEED=$RANDOM dotnet test ... --filter FullyQualifiedName~Fuzz
/// </summary>
public class FuzzTests
{
    public const int DefaultIterations = 1500, DefaultSeed = 13;

    private static int Setting(string name, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : fallback;

    private static IEnumerable<TestCaseData> Targets()
        => FuzzTargets.All("", null!).Select(t => new TestCaseData(t.Name).SetName($"Fuzz {t.Name}"));

    [TestCaseSource(nameof(Targets))]
    public void ParserSurvivesMutatedInputs(string name)
    {
        using var temp = new TempFolder();
        using var device = new ReferenceDevice();
        var target = FuzzTargets.All(temp.Path, device).Single(t => t.Name == name);
        string findings = Path.Combine(TestContext.CurrentContext.WorkDirectory, "fuzz-findings");

        var report = FuzzRunner.Run(target, Setting("CNN_FUZZ_ITERATIONS", DefaultIterations), Setting("CNN_FUZZ_SEED", DefaultSeed), findings);

        TestContext.Out.WriteLine(report);
        Assert.That(report.Findings, Is.Empty, report.ToString());
    }
}
