using CnnNative.Devices;

namespace CnnNative.Tests.Devices.Conformance;

/// <summary>
/// The thread-safety guarantee of <see cref="IDevice"/>: threads sharing one device, each running its own sequence of
/// ops (convolution, GEMM, pooling, loss, the ones that use a device's workspaces), get exactly the results the same
/// sequences give one after another.
/// </summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithReference))]
public class ConcurrencyConformanceTests(string deviceName)
{
    private static readonly Conv2dGeometry Conv = new(4, 8, 16, 16, 12, 3, 3, 1, 1, 1, 1);
    private static readonly Pool2dGeometry Pool = new(4, 12, 16, 16, 2, 2, 2, 2);

    /// <summary>One thread's work on its own buffers: conv → pool → dense → loss, and the loss it returned.</summary>
    private static (float[] Logits, float Loss) Work(IDevice d, int seed)
    {
        int features = Pool.OutputLength / Pool.N, classes = 5;
        var buffers = new List<DeviceBuffer>();
        DeviceBuffer Put(float[] values) { var b = d.Allocate(values.Length); d.Upload(values, b); buffers.Add(b); return b; }
        try
        {
            var x = Put(Compare.Random(Conv.InputLength, seed));
            var w = Put(Compare.Random(Conv.FilterLength, seed + 1));
            var y = Put(new float[Conv.OutputLength]);
            var p = Put(new float[Pool.OutputLength]);
            var dense = Put(Compare.Random(features * classes, seed + 2));
            var logits = Put(new float[Pool.N * classes]);
            var targets = Put(Compare.OneHot(Pool.N, classes, seed + 3));
            var grad = Put(new float[Pool.N * classes]);
            for (int i = 0; i < 4; i++) d.Conv2dForward(Conv, x, w, null, y); // long enough for the threads to overlap
            d.Pool2dForward(Pool, PoolMode.Max, y, p);
            d.Gemm(false, false, Pool.N, classes, features, 1f, p, dense, 0f, logits);
            float loss = d.SoftmaxCrossEntropy(Pool.N, classes, logits, targets, grad, 0.5f);
            return (DevicePair.Read(d, logits), loss);
        }
        finally
        {
            foreach (var b in buffers) b.Dispose();
        }
    }

    [Test]
    public void ThreadsSharingADeviceGetTheSerialResults()
    {
        using var device = TestDevices.Create(deviceName);
        const int threads = 4, rounds = 10;
        var expected = Enumerable.Range(0, threads).Select(t => Work(device, 100 * t)).ToArray();
        var actual = new (float[] Logits, float Loss)[threads, rounds];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (int r = 0; r < rounds; r++) actual[t, r] = Work(device, 100 * t);
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        for (int t = 0; t < threads; t++)
            for (int r = 0; r < rounds; r++)
            {
                Assert.That(actual[t, r].Logits, Is.EqualTo(expected[t].Logits), $"thread {t} round {r} logits");
                Assert.That(actual[t, r].Loss, Is.EqualTo(expected[t].Loss), $"thread {t} round {r} loss");
            }
    }
}
