using System.Reflection;
using System.Runtime.InteropServices;

namespace CnnNative.Devices.Native;

/// <summary>
/// Finds and loads libcnnnative once per process, checks its ABI version, and answers the runtime's requests for
/// <see cref="NativeMethods.Library"/> with that handle (NativeLibrary.SetDllImportResolver on this assembly).
/// </summary>
/// <remarks>
/// Search order: the CNN_NATIVE_LIBRARY environment variable (a file path); next to the application and next to
/// this assembly, each both directly and under runtimes/RID/native/ (the NuGet layout, where the csproj's copy item
/// puts it); then build/native/lib/ in AppContext.BaseDirectory and every directory above it (a source checkout
/// whose native part was built with CMake); last the operating system's own search.
/// </remarks>
internal static class NativeLibraryLoader
{
    private static readonly object Gate = new();
    private static bool _resolverInstalled;
    private static Loaded? _loaded;

    /// <summary>The loaded library: its path and version.</summary>
    public sealed record Loaded(nint Handle, string Path, int Major, int Minor);

    /// <summary>The library, loaded and version-checked; throws <see cref="DeviceNotFoundException"/> explaining why not.</summary>
    public static Loaded Load()
    {
        lock (Gate)
        {
            if (_loaded is not null) return _loaded;
            var tried = new List<string>();
            nint handle = 0;
            string? path = null;
            foreach (var candidate in Candidates())
            {
                tried.Add(candidate);
                if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out handle)) { path = candidate; break; }
            }
            if (path is null && NativeLibrary.TryLoad(FileName, typeof(NativeLibraryLoader).Assembly, DllImportSearchPath.SafeDirectories, out handle))
                path = FileName + " (system search)";
            if (path is null)
                throw new DeviceNotFoundException(
                    $"The native device's library {FileName} was not found. Build it with `dotnet pwsh ./build.ps1 build` " +
                    $"(or `cmake -S . -B build/native && cmake --build build/native`) or set CNN_NATIVE_LIBRARY to its path. " +
                    $"Looked in: {string.Join(", ", tried)}.");
            var loaded = CheckVersion(handle, path);
            InstallResolver();
            _loaded = loaded;
            return loaded;
        }
    }

    private static unsafe Loaded CheckVersion(nint handle, string path)
    {
        if (!NativeLibrary.TryGetExport(handle, "cnn_version", out nint export))
            throw new DeviceNotFoundException($"{path} is not libcnnnative: it has no cnn_version function.");
        int major = -1, minor = -1;
        int status = ((delegate* unmanaged<int*, int*, int>)export)(&major, &minor);
        if (status != NativeMethods.Ok || major != NativeMethods.ExpectedMajorVersion || minor < NativeMethods.MinimumMinorVersion)
            throw new DeviceNotFoundException(
                $"{path} has ABI version {major}.{minor} but this CnnNative expects version {NativeMethods.ExpectedMajorVersion}.{NativeMethods.MinimumMinorVersion} " +
                "or a later minor version; rebuild the native library from the same source tree (`dotnet pwsh ./build.ps1 build`).");
        return new Loaded(handle, path, major, minor);
    }

    private static void InstallResolver()
    {
        if (_resolverInstalled) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
        _resolverInstalled = true;
    }

    // Only our library is answered; every other name falls through to the default probing (handle 0).
    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
        => name == NativeMethods.Library && _loaded is not null ? _loaded.Handle : 0;

    private static string FileName =>
        OperatingSystem.IsWindows() ? "cnnnative.dll" : OperatingSystem.IsMacOS() ? "libcnnnative.dylib" : "libcnnnative.so";

    private static string RuntimeFolder =>
        (OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux") + "-" +
        RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    private static IEnumerable<string> Candidates()
    {
        string? overridePath = Environment.GetEnvironmentVariable("CNN_NATIVE_LIBRARY");
        if (!string.IsNullOrWhiteSpace(overridePath)) yield return Path.GetFullPath(overridePath);
        var roots = new List<string> { AppContext.BaseDirectory };
        string? assemblyDir = Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDir)) roots.Add(assemblyDir);
        foreach (var root in roots.Distinct())
        {
            yield return Path.Combine(root, FileName);
            yield return Path.Combine(root, "runtimes", RuntimeFolder, "native", FileName);
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            yield return Path.Combine(dir.FullName, "build", "native", "lib", FileName);
    }
}
