using CnnNative.Devices;
using CnnNative.Models;
using CnnNative.Tensors;

namespace CnnNative.Tests.Reliability;

/// <summary>A small untrained model file for tests that need one: <see cref="Spec"/> on 1x28x28, built on the reference device.</summary>
internal static class SmallModel
{
    public const string Spec = "conv2k5-relu-maxpool2-dense10";

    /// <summary>Saves the model to <paramref name="path"/> and returns the path.</summary>
    public static string Save(string path)
    {
        using var device = Device.Create("reference");
        using var model = ModelBuilder.Build(Spec, device, new Shape(1, 28, 28));
        model.Save(path);
        return path;
    }
}
