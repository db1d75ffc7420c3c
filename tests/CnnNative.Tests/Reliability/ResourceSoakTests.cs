using System.Runtime.InteropServices;
using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Serialization;
using CnnNative.Tensors;
using CnnNative.Tests.Data;
using CnnNative.Training;

namespace CnnNative.Tests.Reliability;

/// <summary>
/// Issue 13's resource soak: 32 short epochs of everything a long-running service does with a model (fit, evaluate,
/// predict, save, load a copy, dispose it) must leave the managed heap and the native heap where they were after
/// the first epochs. A leak of one activation buffer per batch (400 KB here) or of the loaded copy (1.6 MB of
/// weights and gradients) would grow the native heap by 35 MB or more over the measured epochs.
/// </summary>
/// <remarks>
/// The devices do not count their live buffers, so device memory is measured as the process's native heap: glibc's
/// mallinfo2 (in-use bytes of every arena plus mmapped blocks; the cpu and native devices and pocl allocate their
/// buffers there), or the resident set where that is missing. After warm-up (JIT, worker pools, OpenCL programs)
/// the median of epochs 5–9 is the baseline and the median of the last five is compared with it.
/// </remarks>
[TestFixture("cpu")]
[TestFixture("native")]
[TestFixture("opencl")]
[Parallelizable(ParallelScope.None)]
public class ResourceSoakTests(string deviceName)
{
    /// <summary>32 by default (about 25 s for the three devices); CNN_SOAK_EPOCHS runs it longer.</summary>
    private static int Epochs => int.TryParse(Environment.GetEnvironmentVariable("CNN_SOAK_EPOCHS"), out int n) && n >= 15 ? n : 32;
    private const long ManagedSlack = 2L << 20, NativeSlack = 24L << 20;

    [Test]
    public void ManyEpochsKeepManagedAndNativeMemoryFlat()
    {
        using var temp = new TempFolder();
        using var device = Device.Create(deviceName, threads: 2);
        var (train, test) = (Data(64, seed: 1), Data(32, seed: 2));
        using var model = ModelBuilder.Build("conv8k3p1-relu-maxpool2-flatten-dense128-relu-dense2", device, new Shape(1, 28, 28), seed: 1);
        model.Compile(new Adam(1e-3f), Loss.CategoricalCrossEntropy, Metric.Accuracy);
        string path = temp.File("soak.safetensors");
        var managed = new List<long>();
        var native = new List<long>();

        for (int epoch = 0, epochs = Epochs; epoch < epochs; epoch++)
        {
            model.Fit(train, batchSize: 16, epochs: 1);
            model.Evaluate(test, batchSize: 16);
            model.Predict(test.Take(3).Images);
            model.Save(path);
            using (var copy = ModelFile.Load(path, device))
                copy.Predict(test.Take(5).Images);
            device.Synchronize();

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            managed.Add(GC.GetTotalMemory(forceFullCollection: true));
            native.Add(NativeHeapBytes());
        }

        static long Median(IEnumerable<long> values) => values.Order().ElementAt(2);
        long managedGrowth = Median(managed[^5..]) - Median(managed[5..10]);
        long nativeGrowth = Median(native[^5..]) - Median(native[5..10]);
        string trace = $"{deviceName}: {Epochs} epochs\nmanaged MB by epoch: {string.Join(" ", managed.Select(b => (b / 1e6).ToString("F2")))}\n" +
                       $"native MB by epoch: {string.Join(" ", native.Select(b => (b / 1e6).ToString("F1")))} ({NativeMeasure})";
        TestContext.Out.WriteLine(trace);
        Assert.That(managedGrowth, Is.LessThan(ManagedSlack), "managed heap grew\n" + trace);
        Assert.That(nativeGrowth, Is.LessThan(NativeSlack), "native heap grew\n" + trace);
    }

    /// <summary>Two classes of 28x28 images (bright top or bright bottom) with noise.</summary>
    private static Dataset Data(int count, int seed)
    {
        var rng = new Random(seed);
        var images = new float[count * 28 * 28];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            for (int p = 0; p < 28 * 28; p++)
                images[i * 784 + p] = ((p / 28 < 14) == (labels[i] == 0) ? 0.7f : 0.1f) + 0.2f * rng.NextSingle();
        }
        return Dataset.FromArrays(images, new Shape(1, 28, 28), labels, classCount: 2);
    }

    private static string NativeMeasure => HasMallinfo2 ? "glibc mallinfo2 in-use bytes" : "resident set";

    private static readonly bool HasMallinfo2 = OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "mallinfo2", out _);

    private static long NativeHeapBytes()
    {
        if (!HasMallinfo2) return Environment.WorkingSet;
        var info = Mallinfo2();
        return (long)(info.Uordblks + info.Hblkhd);
    }

    /// <summary>glibc's struct mallinfo2: every field a size_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct MallInfo2
    {
        public readonly nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [DllImport("libc.so.6", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 Mallinfo2();
}
