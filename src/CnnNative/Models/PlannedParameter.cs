namespace CnnNative.Models;

/// <summary>One parameter a model will have: its name ("conv2d_1.weight") and shape.</summary>
/// <param name="Name">The name the model file stores it under.</param>
/// <param name="Shape">Its dimensions, outermost first.</param>
public sealed record PlannedParameter(string Name, long[] Shape)
{
    /// <summary>The product of the shape, saturating at <see cref="long.MaxValue"/>.</summary>
    public long Count => ModelPlan.Product(Shape);

    /// <summary>The shape as "[6,1,5,5]" for messages.</summary>
    public string ShapeText => $"[{string.Join(",", Shape)}]";
}
