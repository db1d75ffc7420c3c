namespace CnnNative.Cli.Pictures;

/// <summary>Which vertical axis a curve is measured on: losses on the left, accuracies (0..1) on the right.</summary>
public enum CurveAxis { Left, Right }

/// <summary>
/// One line of a <see cref="CurvePicture"/>: a value per epoch (Values[0] is epoch 1). NaN leaves a hole
/// (an epoch without validation, say).
/// </summary>
public sealed record CurveSeries(string Name, IReadOnlyList<double> Values, CurveAxis Axis = CurveAxis.Left);
