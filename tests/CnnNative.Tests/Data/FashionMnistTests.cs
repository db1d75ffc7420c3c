using CnnNative.Data;
using CnnNative.Tensors;

namespace CnnNative.Tests.Data;

/// <summary>The real test set, installed by the build's setup task (Debian's dataset-fashion-mnist).</summary>
public class FashionMnistTests
{
    [Test]
    public void TestSetLoadsTenThousandImagesOfTenClasses()
    {
        string images = Path.Combine(FashionMnist.DefaultFolder, "t10k-images-idx3-ubyte.gz");
        if (!File.Exists(images))
            Assert.Fail($"{images} is missing. Run `dotnet pwsh ./build.ps1 setup` (it installs Debian's {FashionMnist.DebianPackage}).");

        var test = FashionMnist.Load(train: false);

        Assert.That(test.Count, Is.EqualTo(10_000));
        Assert.That(test.InputShape, Is.EqualTo(new Shape(1, 28, 28)));
        Assert.That(test.ClassNames, Is.EqualTo(FashionMnist.ClassNames));
        var perClass = new int[10];
        foreach (int label in test.Labels) perClass[label]++; // an out-of-range label would throw here
        Assert.That(perClass, Is.All.EqualTo(1000), "the Fashion-MNIST test set is balanced");
        float min = float.MaxValue, max = float.MinValue;
        foreach (float v in test.Images) { min = Math.Min(min, v); max = Math.Max(max, v); }
        Assert.That((min, max), Is.EqualTo((0f, 1f)));
    }
}
