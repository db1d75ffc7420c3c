using System.Diagnostics;

namespace CnnNative.Tests.Packaging;

/// <summary>
/// The NuGet packages as a user gets them: `dotnet pack` of CnnNative and of the `cnn` tool into a temporary feed,
/// a console project that references CnnNative from that feed (plus the usual feed for its dependencies), built and
/// run on cpu and native; the tool installed with `dotnet tool install --tool-path` and run. Every build happens in
/// temporary folders (pack with --artifacts-path), under a version of its own, which is removed from the NuGet cache
/// afterwards, so the repository's build output and later runs are untouched.
/// </summary>
[NonParallelizable]
public class PackageConsumerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private string _root = null!, _work = null!, _feed = null!, _version = null!;

    [OneTimeSetUp]
    public void Pack()
    {
        _root = RepositoryRoot();
        _work = Path.Combine(Path.GetTempPath(), "cnnnative-pack-" + Guid.NewGuid().ToString("N"));
        _feed = Path.Combine(_work, "feed");
        _version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        Directory.CreateDirectory(_feed);
        foreach (var project in new[] { "src/CnnNative/CnnNative.csproj", "src/CnnNative.Cli/CnnNative.Cli.csproj" })
            Dotnet(_root, "pack", project, "-c", "Release", "-o", _feed, $"-p:Version={_version}");
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
        // The consumer's restore and the tool install extracted the test version into the global packages folder.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "cnnnative", "cnnnative.cli", "cnnnative.cli.linux-x64" })
        {
            string folder = Path.Combine(cache, id, _version);
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            string package = Path.Combine(cache, id);
            if (Directory.Exists(package) && !Directory.EnumerateFileSystemEntries(package).Any()) Directory.Delete(package);
        }
    }

    [Test]
    public void TheLibraryPackageCarriesWhatItPromises()
    {
        string package = Path.Combine(_feed, $"CnnNative.{_version}.nupkg");
        Assert.That(File.Exists(Path.Combine(_feed, $"CnnNative.{_version}.snupkg")), "symbol package");
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.That(entries, Does.Contain("lib/net10.0/CnnNative.dll").And.Contain("lib/net10.0/CnnNative.xml")
                                  .And.Contain("runtimes/linux-x64/native/libcnnnative.so").And.Contain("README.md"));
        using var nuspec = new StreamReader(zip.GetEntry("CnnNative.nuspec")!.Open());
        string text = nuspec.ReadToEnd();
        Assert.That(text, Does.Contain("<license type=\"expression\">MIT</license>").And.Contain("<readme>README.md</readme>")
                              .And.Contain("<description>").And.Contain("<tags>").And.Contain("<repository type=\"git\""));
        Assert.That(text, Does.Not.Contain("OnnxRuntime"), "the library does not depend on ONNX Runtime");
    }

    [Test]
    public void AConsumerProjectTrainsSavesLoadsAndPredictsOnCpuAndNative()
    {
        string consumer = Path.Combine(_work, "consumer");
        Directory.CreateDirectory(consumer);
        string template = Path.Combine(TestContext.CurrentContext.TestDirectory, "Packaging", "Consumer");
        foreach (var file in new[] { "Consumer.csproj", "Program.cs" }) File.Copy(Path.Combine(template, file), Path.Combine(consumer, file));
        // The feed just packed, besides the sources this machine already uses (for CnnNative's dependencies).
        File.WriteAllText(Path.Combine(consumer, "NuGet.config"),
            $"<configuration><packageSources><add key=\"cnnnative-test-feed\" value=\"{_feed}\" /></packageSources></configuration>");

        Dotnet(consumer, "build", "-c", "Release", $"-p:CnnNativeVersion={_version}");
        string output = Path.Combine(consumer, "bin", "Release", "net10.0");
        Assert.That(File.Exists(Path.Combine(output, "runtimes", "linux-x64", "native", "libcnnnative.so")), "the native library came with the package");
        string models = Path.Combine(_work, "models");
        Directory.CreateDirectory(models);
        var run = Dotnet(consumer, Path.Combine(output, "Consumer.dll"), models);

        TestContext.Progress.WriteLine(run.Output.Trim());
        Assert.That(run.Output, Does.Contain("cpu: trained one epoch on 2,000 images").And.Contain("native: trained one epoch on 2,000 images")
                                    .And.Contain("predictions equal: True"));
    }

    [Test]
    public void TheToolInstallsFromTheFeedAndPrintsItsVersion()
    {
        string tools = Path.Combine(_work, "tools");
        Dotnet(_work, "tool", "install", "--tool-path", tools, "--add-source", _feed, "CnnNative.Cli", "--version", _version);

        var run = ProcessRunner.Run(Path.Combine(tools, "cnn"), ["--version"], _work, Limit);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Output.Trim(), Does.StartWith($"cnn {_version}"));
    }

    [Test]
    public void PackFailsClearlyWithoutTheNativeLibrary()
    {
        string missing = Path.Combine(_work, "no-native", "libcnnnative.so");

        var r = ProcessRunner.Run("dotnet", ["pack", "src/CnnNative/CnnNative.csproj", "-c", "Release", "-o", Path.Combine(_work, "no-native"),
                                             $"-p:Version={_version}", $"-p:CnnNativePackedLibrary={missing}", "--artifacts-path", Artifacts,
                                             "--disable-build-servers"], _root, Limit);

        Assert.That(r.ExitCode, Is.Not.EqualTo(0), r.ToString());
        Assert.That(r.Output, Does.Contain("CNN0001").And.Contain($"the native device's library {missing} is missing")
                                  .And.Contain("CnnNativePackWithoutNativeLibrary=true"));
        Assert.That(Directory.Exists(Path.Combine(_work, "no-native")) && Directory.EnumerateFiles(Path.Combine(_work, "no-native"), "*.nupkg").Any(), Is.False);
    }

    private string Artifacts => Path.Combine(_work, "artifacts");

    // Packs build in temporary folders, so that the repository's bin/obj stay as built; no build servers are left running.
    private ProcessResult Dotnet(string directory, params string[] arguments)
    {
        string[] all = arguments[0] switch
        {
            "pack" => [.. arguments, "--artifacts-path", Artifacts, "--disable-build-servers", "-v", "q", "-nologo"],
            "build" => [.. arguments, "--disable-build-servers", "-v", "q", "-nologo"],
            _ => arguments,
        };
        var clock = Stopwatch.StartNew();
        var r = ProcessRunner.Run("dotnet", all, directory, Limit);
        TestContext.Progress.WriteLine($"dotnet {string.Join(' ', arguments.Take(2))}: {clock.Elapsed.TotalSeconds:F0} s");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        return r;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CnnNative.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No CnnNative.sln above {TestContext.CurrentContext.TestDirectory}.");
    }
}
