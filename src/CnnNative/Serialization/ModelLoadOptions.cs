using CnnNative.Models;

namespace CnnNative.Serialization;

/// <summary>How <see cref="ModelFile.Load(string, Devices.IDevice, out IReadOnlyDictionary{string, string}, Microsoft.Extensions.Logging.ILoggerFactory?, ModelLoadOptions?)"/> treats a file.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Finite weights only, the default memory budget.</summary>
    public static ModelLoadOptions Default { get; } = new();

    /// <summary>
    /// Load weights that are NaN or infinite (with a logged warning) instead of refusing the file. Such weights make
    /// every prediction NaN; this is for inspecting a damaged file (`cnn summary --allow-non-finite`).
    /// </summary>
    public bool AllowNonFiniteWeights { get; init; }

    /// <summary>The most bytes the file's architecture may take at batch 1 (<see cref="ModelPlan.Bytes"/>); 2 GiB by default.</summary>
    public long MemoryBudget { get; init; } = ModelPlan.DefaultMemoryBudget;
}
