using CnnNative.Data;
using CnnNative.Tensors;

namespace CnnNative.Tests.Data;

public class ValidationSplitTests
{
    /// <summary>n one-value samples holding their own index, labels index mod 3.</summary>
    private static Dataset Indexed(int n)
        => Dataset.FromArrays(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), new Shape(1), Enumerable.Range(0, n).Select(i => i % 3).ToArray(), 3);

    [Test]
    public void TheTwoPartsAreDisjointCoverTheDataAndKeepTheirOrderAndLabels()
    {
        var (train, validation) = Indexed(1000).SplitValidation(0.1, seed: 4);
        Assert.That(validation.Count, Is.EqualTo(100));
        Assert.That(train.Count, Is.EqualTo(900));
        var t = train.Images.ToArray().Select(v => (int)v).ToList();
        var v = validation.Images.ToArray().Select(x => (int)x).ToList();
        Assert.That(t.Concat(v).Order(), Is.EqualTo(Enumerable.Range(0, 1000)));
        Assert.That(t, Is.Ordered);
        Assert.That(v, Is.Ordered);
        Assert.That(train.Labels.ToArray(), Is.EqualTo(t.Select(i => i % 3).ToArray()));
        Assert.That(validation.Labels.ToArray(), Is.EqualTo(v.Select(i => i % 3).ToArray()));
        Assert.That(v.Max() - v.Min(), Is.GreaterThan(800), "drawn from the whole set, not its tail");
        Assert.That(validation.Source, Does.Contain("validation split"));
    }

    [Test]
    public void TheSameSeedGivesTheSameSplitAnotherSeedAnother()
    {
        var data = Indexed(500);
        float[] Validation(int seed) => data.SplitValidation(0.2, seed).Validation.Images.ToArray();
        Assert.That(Validation(1), Is.EqualTo(Validation(1)));
        Assert.That(Validation(2), Is.Not.EqualTo(Validation(1)));
    }

    [TestCase(0.0)]
    [TestCase(1.0)]
    [TestCase(-0.1)]
    [TestCase(double.NaN)]
    [TestCase(0.001)]
    [TestCase(0.9999)]
    public void FractionsThatLeaveAPartEmptyAreRefused(double fraction)
        => Assert.Throws<ArgumentOutOfRangeException>(() => Indexed(100).SplitValidation(fraction, 1));
}
