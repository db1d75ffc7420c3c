using System.Net.Sockets;
using CnnNative.Serialization;
using CnnNative.Tests.Data;
using CnnNative.Tests.Reliability;

namespace CnnNative.Tests.Serialization;

/// <summary>What a save may replace (<see cref="OutputPath"/>), and how <see cref="AtomicFile"/> writes.</summary>
public class OutputPathTests
{
    private TempFolder _temp = null!;

    [SetUp] public void CreateFolder() => _temp = new TempFolder();
    [TearDown] public void DeleteFolder() => _temp.Dispose();

    [Test]
    public void FileKindsSeeWhatTheSystemSees()
    {
        File.WriteAllText(_temp.File("file"), "x");
        UnixFiles.MakeFifo(_temp.File("fifo"));
        File.CreateSymbolicLink(_temp.File("link"), "file");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(_temp.File("socket")));

        Assert.That(FileKinds.Of(_temp.File("file")), Is.EqualTo(FileKind.RegularFile));
        Assert.That(FileKinds.Of(_temp.Path), Is.EqualTo(FileKind.Directory));
        Assert.That(FileKinds.Of(_temp.File("fifo")), Is.EqualTo(FileKind.Fifo));
        Assert.That(FileKinds.Of(_temp.File("socket")), Is.EqualTo(FileKind.Socket));
        Assert.That(FileKinds.Of(_temp.File("link")), Is.EqualTo(FileKind.SymbolicLink));
        Assert.That(FileKinds.OfTarget(_temp.File("link")), Is.EqualTo(FileKind.RegularFile));
        Assert.That(FileKinds.Of(_temp.File("absent")), Is.EqualTo(FileKind.Absent));
        Assert.That(FileKinds.Of(_temp.File("file", "below")), Is.EqualTo(FileKind.Absent));
    }

    [Test]
    public void DeviceNodesAreRefused()
    {
        Assume.That(UnixFiles.IsRoot, "mknod needs root (CI runs as root)");
        UnixFiles.MakeCharacterDevice(_temp.File("char"));
        Assert.That(FileKinds.Of(_temp.File("char")), Is.EqualTo(FileKind.CharacterDevice));
        var ex = Assert.Throws<IOException>(() => AtomicFile.Write(_temp.File("char"), [1, 2, 3]));
        Assert.That(ex!.Message, Does.Contain(_temp.File("char")).And.Contain("character device"));
        Assert.That(UnixFiles.KindOf(_temp.File("char")), Is.EqualTo("character special file"));
    }

    [TestCase("a directory")]
    [TestCase("a FIFO")]
    [TestCase("a link to a directory")]
    [TestCase("a link loop")]
    public void WhatIsNotARegularFileIsRefusedNamingThePath(string what)
    {
        string path = _temp.File("out");
        switch (what)
        {
            case "a directory": Directory.CreateDirectory(path); break;
            case "a FIFO": UnixFiles.MakeFifo(path); break;
            case "a link to a directory": File.CreateSymbolicLink(path, _temp.Path); break;
            default: File.CreateSymbolicLink(path, "loop"); File.CreateSymbolicLink(_temp.File("loop"), "out"); break;
        }

        var ex = Assert.Throws<IOException>(() => OutputPath.Prepare(path, "--out"));

        Assert.That(ex!.Message, Does.StartWith($"Cannot write --out '{path}': "));
        Assert.That(Directory.GetFiles(_temp.Path, ".*"), Is.Empty, "no temporary file left");
    }

    [Test]
    public void ARelativeLinkIsWrittenThroughAndStaysALink()
    {
        Directory.CreateDirectory(_temp.File("runs"));
        File.WriteAllText(_temp.File("runs", "7.bin"), "old");
        File.CreateSymbolicLink(_temp.File("latest.bin"), Path.Combine("runs", "7.bin"));

        Assert.That(OutputPath.Prepare(_temp.File("latest.bin")), Is.EqualTo(_temp.File("runs", "7.bin")));
        AtomicFile.Write(_temp.File("latest.bin"), "new"u8.ToArray());

        Assert.That(File.ReadAllText(_temp.File("runs", "7.bin")), Is.EqualTo("new"));
        Assert.That(new FileInfo(_temp.File("latest.bin")).LinkTarget, Is.EqualTo(Path.Combine("runs", "7.bin")));
    }

    [Test]
    public void ADanglingLinkGetsItsTargetCreated()
    {
        File.CreateSymbolicLink(_temp.File("link"), _temp.File("target"));
        AtomicFile.Write(_temp.File("link"), "made"u8.ToArray());
        Assert.That(File.ReadAllText(_temp.File("target")), Is.EqualTo("made"));
        Assert.That(FileKinds.Of(_temp.File("link")), Is.EqualTo(FileKind.SymbolicLink));
    }

    [Test]
    public void AMissingFolderIsAnErrorUnlessAskedToCreateIt()
    {
        string path = _temp.File("a", "b", "m.bin");
        var ex = Assert.Throws<IOException>(() => AtomicFile.Write(path, [1]));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("does not exist"));

        Assert.That(OutputPath.Prepare(path, createFolder: true), Is.EqualTo(path));
        Assert.That(Directory.Exists(_temp.File("a", "b")) && !File.Exists(path), "the folder is made, the file not yet");
        Assert.That(Directory.GetFiles(_temp.File("a", "b"), "*", SearchOption.AllDirectories), Is.Empty, "the probe file is gone");
    }

    [Test]
    public void TheTempFileNameIsPredictablePerTarget()
        => Assert.That(AtomicFile.TempPathFor(_temp.File("m.safetensors")), Is.EqualTo(_temp.File($".m.safetensors.tmp-{Environment.ProcessId}")));

    [Test]
    public void AFailedWriteKeepsTheOldFileAndLeavesNoTemp()
    {
        string path = _temp.File("m.bin");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write([1, 2, 3]);
            throw new InvalidOperationException("the writer failed half way");
        }));
        Assert.That(File.ReadAllText(path), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(_temp.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "m.bin" }));
    }

    [Test]
    public void SavesFromManyThreadsToOneFileNeverShareATemporaryFile()
    {
        string path = _temp.File("m.bin");
        var contents = Enumerable.Range(0, 8).Select(i => Enumerable.Repeat((byte)i, 100_000).ToArray()).ToArray();
        Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => AtomicFile.Write(path, contents[i % 8]));
        var final = File.ReadAllBytes(path);
        Assert.That(contents.Any(c => c.AsSpan().SequenceEqual(final)), "the file is one whole save");
        Assert.That(Directory.GetFiles(_temp.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "m.bin" }));
    }

    [Test]
    public void StaleTempsOfTheOlderNamingAreRemovedToo()
    {
        int dead = UnixFiles.DeadProcessId();
        File.WriteAllText(_temp.File($".m.bin.{dead}.{Guid.NewGuid():N}.tmp"), "left by an older version");
        File.WriteAllText(_temp.File($".m.bin.{dead}.not-a-guid.tmp"), "someone else's");
        AtomicFile.Write(_temp.File("m.bin"), [1]);
        Assert.That(Directory.GetFiles(_temp.Path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "m.bin", $".m.bin.{dead}.not-a-guid.tmp" }));
    }
}
