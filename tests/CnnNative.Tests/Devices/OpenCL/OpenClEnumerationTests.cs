using CnnNative.Devices;
using CnnNative.Devices.OpenCL;
using Microsoft.Extensions.Logging;

namespace CnnNative.Tests.Devices.OpenCL;

public class OpenClEnumerationTests
{
    [SetUp]
    public void Require() => OpenClTestSupport.RequireOpenCl();

    [Test]
    public void EnumerationListsDevicesWithTheirLimits()
    {
        var devices = OpenClDevice.Enumerate();
        Assert.That(devices, Is.Not.Empty);
        for (int i = 0; i < devices.Count; i++)
        {
            var d = devices[i];
            Assert.That(d.Name, Is.EqualTo($"opencl:{i}"));
            Assert.That(d.Kind, Does.StartWith("opencl-"));
            Assert.That(d.ComputeUnits, Is.GreaterThan(0));
            Assert.That(d.MemoryBytes, Is.GreaterThan(0));
            foreach (var key in new[] { "platform", "device type", "compute units", "global memory", "local memory", "max work-group size", "OpenCL C version" })
                Assert.That(d.Details.ContainsKey(key), $"{d.Name} lacks detail '{key}'");
            Assert.That(int.Parse(d.Details["max work-group size"]), Is.GreaterThan(0));
            Assert.That(d.Details["OpenCL C version"], Does.StartWith("OpenCL C"));
        }
    }

    [Test]
    public void PoclIsFoundWhereItIsInstalled()
    {
        if (!File.Exists("/etc/OpenCL/vendors/pocl.icd")) Assert.Ignore("pocl is not installed here; other OpenCL platforms are.");
        var pocl = OpenClDevice.Enumerate().Where(d => d.Details["platform"].Contains("Portable Computing Language")).ToList();
        Assert.That(pocl, Is.Not.Empty, "pocl's ICD file exists but enumeration did not find its platform");
        Assert.That(pocl[0].Kind, Is.EqualTo("opencl-cpu"));
    }

    [Test]
    public void DeviceOpenClDevicesIsTheListOpenClNIndexes()
        => Assert.That(Device.OpenClDevices(), Is.EqualTo(OpenClDevice.Enumerate()));

    [Test]
    public void OpenCLPicksAGpuFirstElseTheFirstDevice()
    {
        using var device = Device.Create("opencl");
        var all = OpenClDevice.Enumerate();
        var expected = all.FirstOrDefault(d => d.Kind == "opencl-gpu") ?? all[0];
        Assert.That(device.Name, Is.EqualTo(expected.Name));
        Assert.That(device.Info, Is.EqualTo(expected));
    }

    [Test]
    public void DevicesAreSelectedByIndexAndByNameIgnoringCase()
    {
        var first = OpenClDevice.Enumerate()[0];
        using (var byIndex = Device.Create("opencl:0")) Assert.That(byIndex.Name, Is.EqualTo(first.Name));
        string platform = first.Details["platform"];
        string fragment = platform.Substring(0, Math.Min(6, platform.Length)).ToUpperInvariant();
        using var byName = Device.Create($"OpenCL:{fragment}");
        Assert.That(byName.Info.Details["platform"], Does.Contain(platform.Substring(0, Math.Min(6, platform.Length))));
    }

    [Test]
    public void UnknownIndexListsTheDevicesThatExist()
    {
        int count = OpenClDevice.Enumerate().Count;
        var ex = Assert.Throws<DeviceNotFoundException>(() => Device.Create($"opencl:{count}"));
        Assert.That(ex!.Message, Does.Contain($"no OpenCL device {count}"));
        Assert.That(ex.Message, Does.Contain("opencl:0 = "));
    }

    [Test]
    public void UnknownNameListsTheDevicesThatExist()
    {
        var ex = Assert.Throws<DeviceNotFoundException>(() => Device.Create("opencl:no-such-accelerator"));
        Assert.That(ex!.Message, Does.Contain("no-such-accelerator"));
        Assert.That(ex.Message, Does.Contain(OpenClDevice.Enumerate()[0].Description));
    }

    [Test]
    public void AutoTakesAnOpenClGpuOnlyWhenOneExistsAndLogsWhy()
    {
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        using var device = Device.Create("auto", loggerFactory: factory);
        bool hasGpu = OpenClDevice.Enumerate().Any(d => d.Kind == "opencl-gpu");
        Assert.That(device.Info.Kind == "opencl-gpu", Is.EqualTo(hasGpu));
        Assert.That(logs.Messages, Has.Some.Contains("auto:"));
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        public List<string> Messages { get; } = [];
        public ILogger CreateLogger(string categoryName) => new ListLogger(Messages);
        public void Dispose() { }

        private sealed class ListLogger(List<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (messages) messages.Add(formatter(state, exception));
            }
        }
    }
}
