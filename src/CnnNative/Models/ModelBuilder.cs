using CnnNative.Devices;
using CnnNative.Tensors;
using CnnNative.Training;
using Microsoft.Extensions.Logging;

namespace CnnNative.Models;

/// <summary>Builds a <see cref="Sequential"/> from a built-in name or a spec string.</summary>
public static class ModelBuilder
{
    /// <summary>
    /// Builds <paramref name="nameOrSpec"/> on <paramref name="device"/> for samples of <paramref name="inputShape"/>,
    /// after checking its <see cref="ModelPlan"/> against <paramref name="memoryBudget"/> bytes, so that a spec or
    /// input shape from a user or a file cannot make the device allocate gigabytes first.
    /// </summary>
    /// <exception cref="FormatException">The spec does not parse.</exception>
    /// <exception cref="ArgumentException">A layer does not fit its input, or the model exceeds the memory budget.</exception>
    public static Sequential Build(string nameOrSpec, IDevice device, Shape inputShape, int seed = 0, ILoggerFactory? loggerFactory = null,
                                   long memoryBudget = ModelPlan.DefaultMemoryBudget)
    {
        var layers = ModelSpec.Parse(nameOrSpec);
        Sequential? model = null;
        try
        {
            ModelPlan.For(nameOrSpec, layers, inputShape).CheckBudget(memoryBudget);
            model = new Sequential(device, inputShape, seed, loggerFactory);
            foreach (var layer in layers) model.Add(layer);
            return model;
        }
        catch
        {
            model?.Dispose();
            foreach (var l in layers) if (!l.IsBuilt) l.Dispose();
            throw;
        }
    }
}
