// The consumer app of PackageConsumerTests: references the packed CnnNative package (not the project) and does what a
// new user does first, on cpu and on native: train one epoch on 2,000 Fashion-MNIST images, save, load, predict.
// Usage: Consumer MODEL_FOLDER
using CnnNative.Data;
using CnnNative.Devices;
using CnnNative.Layers;
using CnnNative.Tensors;
using CnnNative.Training;

var train = FashionMnist.Load(train: true).Take(2_000);
var test = FashionMnist.Load(train: false).Take(500);
foreach (var name in new[] { "cpu", "native" })
{
    using var device = Device.Create(name, threads: 2);
    using var model = new Sequential(device, new Shape(1, 28, 28), seed: 1)
        .Add(new Conv2d(filters: 8, kernel: 5, padding: 2))
        .Add(new ReLU())
        .Add(new MaxPool2d(2))
        .Add(new Flatten())
        .Add(new Linear(10))
        .Add(new Softmax());
    model.Compile(new Adam(lr: 2e-3f), Loss.CategoricalCrossEntropy, Metric.Accuracy);
    model.Fit(train, batchSize: 64, epochs: 1);
    double accuracy = model.Evaluate(test).Accuracy;

    string path = Path.Combine(args[0], $"{name}.safetensors");
    model.Save(path);
    using var loaded = Sequential.Load(path, device);
    var images = test.Take(20).Images.ToArray();
    bool same = loaded.Predict(images).SequenceEqual(model.Predict(images));
    Console.WriteLine($"{name}: trained one epoch on {train.Count:N0} images on {device.Name}, test accuracy {accuracy:P1}; saved, loaded, predictions equal: {same}");
    if (!same || accuracy < 0.5) return 1;
}
return 0;
