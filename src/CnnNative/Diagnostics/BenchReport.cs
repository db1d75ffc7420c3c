using System.Text.Json.Serialization;

namespace CnnNative.Diagnostics;

/// <summary>
/// One op on one shape and device. GFLOP/s for compute ops, GB/s for memory-bound ones. A convolution's FLOPs are the
/// direct sum's (2·N·K·C·R·S·P·Q) whatever the algorithm, so an algorithm that does fewer multiplies (the cpu device's
/// Winograd path, named in <see cref="Algorithm"/>) can read above 100 % of the peak.
/// </summary>
internal sealed record OpResult(
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("shape")] string Shape,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("milliseconds")] double Milliseconds,
    [property: JsonPropertyName("gflops")] double? Gflops,
    [property: JsonPropertyName("gbps")] double? Gbps,
    [property: JsonPropertyName("percent_of_peak")] double? PercentOfPeak,
    [property: JsonPropertyName("algorithm")] string? Algorithm = null);

/// <summary>
/// End-to-end figures of one model on one device, or on an <see cref="IInferenceEngine"/> (device "onnxruntime"),
/// which only infers: its training batch and rate are null, and <see cref="MaxAbsDifference"/> says how far its
/// outputs were from CnnNative's cpu device on the same weights and images.
/// </summary>
internal sealed record ModelResult(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("batch")] int? Batch,
    [property: JsonPropertyName("train_images_per_second")] double? TrainImagesPerSecond,
    [property: JsonPropertyName("infer_batch1_ms")] double InferBatch1Ms,
    [property: JsonPropertyName("infer_batch256_images_per_second")] double InferBatch256ImagesPerSecond,
    [property: JsonPropertyName("max_abs_difference")] double? MaxAbsDifference = null);

/// <summary>
/// Everything one benchmark run measured, with the machine and the FMA peak measured in the same run.
/// <see cref="PeakGflops"/> is the widest vectors' peak (what every percent of peak divides by); the two widths'
/// peaks, the processor's model and the cpu device's instruction set follow it.
/// </summary>
internal sealed record BenchReport(
    [property: JsonPropertyName("date")] DateTime Date,
    [property: JsonPropertyName("machine")] string Machine,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("peak_gflops")] double PeakGflops,
    [property: JsonPropertyName("ops")] IReadOnlyList<OpResult> Ops,
    [property: JsonPropertyName("models")] IReadOnlyList<ModelResult> Models,
    [property: JsonPropertyName("skipped")] IReadOnlyList<string> Skipped,
    [property: JsonPropertyName("peak_gflops_vector256")] double? PeakGflopsVector256 = null,
    [property: JsonPropertyName("peak_gflops_vector512")] double? PeakGflopsVector512 = null,
    [property: JsonPropertyName("cpu_model")] string? CpuModel = null,
    [property: JsonPropertyName("isa")] string? Isa = null);
