using System.Reflection;
using CnnNative.Devices.OpenCL;
using Microsoft.Extensions.Logging.Abstractions;

namespace CnnNative.Tests.Devices.OpenCL;

/// <summary>
/// Every kernel's launcher (<see cref="IKernelArgs"/> struct) against the kernel's signature as the OpenCL compiler
/// reports it (clGetKernelArgInfo): the same number of arguments, the same names (case aside) and the same types,
/// in order; and every kernel of the program has exactly one launcher. Checked for both tunings (CPU- and GPU-shaped
/// builds compile the same sources with different defines).
/// </summary>
public class OpenClKernelSignatureTests
{
    private static IEnumerable<Type> Launchers()
        => typeof(IKernelArgs).Assembly.GetTypes().Where(t => t.IsValueType && typeof(IKernelArgs).IsAssignableFrom(t));

    private static string KernelOf(Type launcher) => (string)launcher.GetProperty("Kernel", BindingFlags.Static | BindingFlags.Public)!.GetValue(null)!;

    private static KernelArg[] ArgsOf(Type launcher)
        => (KernelArg[])typeof(KernelArgLayout<>).MakeGenericType(launcher).GetField("Args")!.GetValue(null)!;

    /// <summary>What the compiler calls each launcher field type.</summary>
    private static bool SameType(Type field, string clType) => field == typeof(ClMem) ? clType.EndsWith('*')
        : field == typeof(int) ? clType == "int"
        : field == typeof(uint) ? clType is "uint" or "unsigned int"
        : field == typeof(float) && clType == "float";

    [TestCase(false)]
    [TestCase(true)]
    public void EveryLauncherMatchesItsKernelsSignature(bool gpuShaped)
    {
        OpenClTestSupport.RequireOpenCl();
        var entry = OpenClDevice.Select("opencl");
        using var device = new OpenClDevice(entry, gpuShaped ? OpenClTuning.Gpu(entry) : null, NullLogger.Instance);
        var launchers = Launchers().ToList();
        Assert.That(launchers, Has.Count.GreaterThan(20), "launcher structs found");
        foreach (var launcher in launchers)
        {
            string kernel = KernelOf(launcher);
            var expected = OpenClProgramInfo.KernelArguments(device, kernel);
            var actual = ArgsOf(launcher);
            string context = $"{launcher.Name} for kernel {kernel}({string.Join(", ", expected.Select(a => $"{a.Type} {a.Name}"))})";
            Assert.That(actual, Has.Length.EqualTo(expected.Count), $"{context}: argument count");
            for (int i = 0; i < actual.Length; i++)
            {
                Assert.That(actual[i].Name, Is.EqualTo(expected[i].Name).IgnoreCase, $"{context}: argument {i} name");
                Assert.That(SameType(actual[i].Type, expected[i].Type), $"{context}: argument {i} ({expected[i].Name}) is {expected[i].Type} in the kernel, {actual[i].Type.Name} in the launcher");
            }
        }
        var launched = launchers.Select(KernelOf).ToList();
        Assert.That(launched, Is.Unique, "one launcher per kernel");
        Assert.That(OpenClProgramInfo.KernelNames(device), Is.EquivalentTo(launched), "every kernel of the program has a launcher, and every launcher a kernel");
    }
}
