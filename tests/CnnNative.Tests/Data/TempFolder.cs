namespace CnnNative.Tests.Data;

/// <summary>A fresh folder under the system temp directory, deleted with everything in it by <see cref="Dispose"/>.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cnnnative-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(params string[] names) => System.IO.Path.Combine([Path, .. names]);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
