using CnnNative.Tensors;

namespace CnnNative.Tests.Tensors;

public class ShapeTests
{
    [Test]
    public void SizeIsTheProductOfTheDimensions()
    {
        Assert.That(new Shape(64, 1, 28, 28).Size, Is.EqualTo(64 * 28 * 28));
        Assert.That(new Shape(10).Size, Is.EqualTo(10));
    }

    [Test]
    public void ShapesCompareByValue()
    {
        Assert.That(new Shape(1, 28, 28), Is.EqualTo(new Shape(1, 28, 28)));
        Assert.That(new Shape(1, 28, 28) == new Shape(28, 28, 1), Is.False);
        Assert.That(new Shape(3), Is.Not.EqualTo(new Shape(3, 1)));
    }

    [Test]
    public void BatchDimensionIsAddedAndRemoved()
    {
        var s = new Shape(1, 28, 28).WithBatch(64);
        Assert.That(s, Is.EqualTo(new Shape(64, 1, 28, 28)));
        Assert.That(s.WithoutBatch(), Is.EqualTo(new Shape(1, 28, 28)));
        Assert.That(s.ToString(), Is.EqualTo("(64, 1, 28, 28)"));
    }

    [TestCase(0)]
    [TestCase(-3)]
    public void NonPositiveDimensionsAreRejected(int bad)
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new Shape(2, bad));
        Assert.That(ex!.Message, Does.Contain(bad.ToString()));
    }

    [Test]
    public void MoreThanFourDimensionsAreRejected()
        => Assert.Throws<ArgumentException>(() => _ = new Shape(1, 2, 3, 4, 5));
}
