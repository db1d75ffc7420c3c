namespace CnnNative.Data;

/// <summary>
/// Where the default data set lives and what its classes are called. Fashion-MNIST uses the MNIST IDX format;
/// Debian's package dataset-fashion-mnist installs it under <see cref="DefaultFolder"/>.
/// </summary>
public static class FashionMnist
{
    /// <summary>The folder Debian's dataset-fashion-mnist package installs to.</summary>
    public const string DefaultFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The Debian package that provides <see cref="DefaultFolder"/>.</summary>
    public const string DebianPackage = "dataset-fashion-mnist";

    /// <summary>What to tell a user whose data is missing.</summary>
    public static string InstallHint =>
        $"The default folder {DefaultFolder} comes from Debian's package {DebianPackage} " +
        $"(apt-get install {DebianPackage}, or dotnet pwsh ./build.ps1 setup).";

    /// <summary>The ten class names, by label (from Zalando's README).</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]);

    /// <summary>The training (60,000 images) or test (10,000 images) set from <paramref name="folder"/> (default <see cref="DefaultFolder"/>).</summary>
    public static Dataset Load(bool train, string? folder = null) => Dataset.LoadFolder(folder ?? DefaultFolder, train);
}
