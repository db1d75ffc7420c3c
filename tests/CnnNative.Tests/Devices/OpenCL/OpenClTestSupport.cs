using CnnNative.Devices.OpenCL;

namespace CnnNative.Tests.Devices.OpenCL;

internal static class OpenClTestSupport
{
    /// <summary>
    /// Ignores the test only where no OpenCL platform exists at all (CI installs pocl, so there it always runs).
    /// </summary>
    public static void RequireOpenCl()
    {
        if (!OpenClDevice.IsAvailable)
            Assert.Ignore("No OpenCL platform on this machine (install pocl-opencl-icd to run the OpenCL tests on the CPU).");
    }
}
