using CnnNative.Data;
using CnnNative.Tensors;

namespace CnnNative.Tests.Training;

/// <summary>Small, learnable data sets made up on the spot: a bright bar whose position is the class.</summary>
public static class SyntheticData
{
    public static Dataset Bars(int count, int classes = 3, int size = 8, int seed = 1)
    {
        var rng = new Random(seed);
        var images = new float[count * size * size];
        var labels = new int[count];
        int band = size / classes;
        for (int i = 0; i < count; i++)
        {
            int label = rng.Next(classes);
            labels[i] = label;
            for (int r = 0; r < size; r++)
                for (int c = 0; c < size; c++)
                {
                    bool lit = r / band == label;
                    images[(i * size + r) * size + c] = (lit ? 0.8f : 0.1f) + 0.2f * rng.NextSingle();
                }
        }
        return Dataset.FromArrays(images, new Shape(1, size, size), labels, classes);
    }
}
