using System.Diagnostics;

namespace CnnNative.Tests.Reliability;

/// <summary>
/// Makes and inspects special files through the system's own tools (mknod, mkfifo, stat), so the tests judge the
/// library's file handling with something other than the library's own checks.
/// </summary>
internal static class UnixFiles
{
    public static bool IsRoot => Environment.UserName == "root" || Run("id", "-u").Trim() == "0";

    /// <summary>What `stat -c %F` calls the file: "regular file", "character special file", "symbolic link", ...</summary>
    public static string KindOf(string path) => Run("stat", "-c", "%F", path).Trim();

    /// <summary>A character device with the numbers of /dev/null (1, 3), made in a test folder (needs root).</summary>
    public static void MakeCharacterDevice(string path) => Run("mknod", path, "c", "1", "3");

    public static void MakeFifo(string path) => Run("mkfifo", path);

    /// <summary>The id of a process that has exited, so a temp file named after it is stale.</summary>
    public static int DeadProcessId()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    private static string Run(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({p.ExitCode}): {error}");
        return output;
    }
}
