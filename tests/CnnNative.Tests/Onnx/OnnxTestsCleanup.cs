namespace CnnNative.Tests.Onnx;

/// <summary>Runs once after every test in this namespace: removes the models <see cref="OnnxTesting"/> trained.</summary>
[SetUpFixture]
public class OnnxTestsCleanup
{
    [OneTimeTearDown]
    public void DeleteTrainedModels() => OnnxTesting.DeleteTrainedModels();
}
