using CnnNative.Devices.OpenCL;

namespace CnnNative.Tests.Devices.OpenCL;

public class OpenClErrorTests
{
    [Test]
    public void ErrorCodesAreNamedAsInTheHeaders()
    {
        Assert.That(OpenClException.NameOf(-5), Is.EqualTo("CL_OUT_OF_RESOURCES"));
        Assert.That(OpenClException.NameOf(-54), Is.EqualTo("CL_INVALID_WORK_GROUP_SIZE"));
        Assert.That(OpenClException.NameOf(-11), Is.EqualTo("CL_BUILD_PROGRAM_FAILURE"));
        var ex = new OpenClException("clEnqueueNDRangeKernel(gemm)", -54);
        Assert.That(ex.Message, Does.Contain("clEnqueueNDRangeKernel(gemm)").And.Contain("CL_INVALID_WORK_GROUP_SIZE").And.Contain("-54"));
    }

    [Test]
    public void AKernelThatDoesNotCompileThrowsWithTheBuildLog()
    {
        OpenClTestSupport.RequireOpenCl();
        using var device = OpenClDevice.Create("opencl");
        const string broken = "__kernel void broken(__global float* x) { x[0] = undeclared_identifier_42; }";
        var ex = Assert.Throws<OpenClException>(() => device.Context.Build(broken, ""));
        Assert.That(ex!.ErrorName, Is.EqualTo("CL_BUILD_PROGRAM_FAILURE"));
        Assert.That(ex.Message, Does.Contain("Build log"));
        Assert.That(ex.Message, Does.Contain("undeclared_identifier_42"), "the compiler's diagnostic should be in the message");
    }

    [Test]
    public void SourceThatCompilesBuildsWithoutError()
    {
        OpenClTestSupport.RequireOpenCl();
        using var device = OpenClDevice.Create("opencl");
        using var program = device.Context.Build("__kernel void ok(__global float* x) { x[get_global_id(0)] = 1.0f; }", "");
        Assert.That(program.IsInvalid, Is.False);
    }
}
