using System.Runtime.Intrinsics;
using CnnNative.Diagnostics;

namespace CnnNative.Tests.Diagnostics;

public class FmaPeakTests
{
    [Test]
    public void MeasuresEveryWidthInHardwareAndCallsTheWidestThePeak()
    {
        var r = FmaPeak.MeasureWidths(1, 0.03);
        Assert.That(r.Vector256Gflops, Vector256.IsHardwareAccelerated ? Is.GreaterThan(0) : Is.EqualTo(0));
        if (Vector512.IsHardwareAccelerated)
        {
            Assert.That(r.Vector512Gflops, Is.GreaterThan(0));
            Assert.That(r.WidestGflops, Is.EqualTo(Math.Max(r.Vector256Gflops, r.Vector512Gflops!.Value)));
        }
        else
        {
            Assert.That(r.Vector512Gflops, Is.Null, "no 512-bit peak where the processor emulates those vectors");
            Assert.That(r.WidestGflops, Is.EqualTo(r.Vector256Gflops));
            Assert.That(r.WidestWidth, Is.EqualTo("Vector256"));
        }
    }

    [Test]
    public void TheFixedLoopCountsTheLanesOfTheWidestVectors()
    {
        int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
        Assert.That(FmaPeak.FixedFlops(2, 1000), Is.EqualTo(2 * 1000.0 * 12 * lanes * 2));
        FmaPeak.RunFixed(1, 1000);
    }
}
