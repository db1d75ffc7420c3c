using CnnNative.Devices;
using CnnNative.Tensors;
using CnnNative.Training;
using Microsoft.Extensions.Logging;

namespace CnnNative.Models;

/// <summary>Builds a <see cref="Sequential"/> from a built-in name or a spec string.</summary>
public static class ModelBuilder
{
    public static Sequential Build(string nameOrSpec, IDevice device, Shape inputShape, int seed = 0, ILoggerFactory? loggerFactory = null)
    {
        var layers = ModelSpec.Parse(nameOrSpec);
        var model = new Sequential(device, inputShape, seed, loggerFactory);
        try
        {
            foreach (var layer in layers) model.Add(layer);
            return model;
        }
        catch
        {
            model.Dispose();
            foreach (var l in layers) if (!l.IsBuilt) l.Dispose();
            throw;
        }
    }
}
