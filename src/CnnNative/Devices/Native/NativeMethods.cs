using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// Every P/Invoke in this assembly uses blittable types only (ints, floats, pointers, plain structs), so the runtime's
// marshalling layer has nothing to do; disabling it makes that a compile-time guarantee and lets LibraryImport emit
// direct calls. It applies to P/Invokes and function pointers declared in this assembly only (Silk.NET's OpenCL
// bindings keep their own marshalling rules).
[assembly: DisableRuntimeMarshalling]

namespace CnnNative.Devices.Native;

/// <summary>The C ABI of libcnnnative (native/include/cnn_native.h), one declaration per function, blittable only.</summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>The name the resolver maps to the library file (libcnnnative.so, cnnnative.dll, libcnnnative.dylib).</summary>
    public const string Library = "cnnnative";

    /// <summary>The ABI major version this C# code was written against (CNN_NATIVE_VERSION_MAJOR).</summary>
    public const int ExpectedMajorVersion = 1;

    /// <summary>The oldest minor version that has every function declared here (1.1 added batch normalization and the
    /// instruction-set choice).</summary>
    public const int MinimumMinorVersion = 1;

    public const int Ok = 0, NullPointer = 1, InvalidSize = 2, BufferTooSmall = 3, UnsupportedCpu = 4, OutOfMemory = 5, InvalidArgument = 6;

    /// <summary>cnn_conv2d_geometry: the same 11 ints in the same order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Conv2dGeometry
    {
        public int N, C, H, W, K, R, S, StrideH, StrideW, PadH, PadW;

        public Conv2dGeometry(in Devices.Conv2dGeometry g)
            => (N, C, H, W, K, R, S, StrideH, StrideW, PadH, PadW) = (g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.StrideH, g.StrideW, g.PadH, g.PadW);
    }

    /// <summary>cnn_pool2d_geometry.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Pool2dGeometry
    {
        public int N, C, H, W, R, S, StrideH, StrideW;

        public Pool2dGeometry(in Devices.Pool2dGeometry g)
            => (N, C, H, W, R, S, StrideH, StrideW) = (g.N, g.C, g.H, g.W, g.R, g.S, g.StrideH, g.StrideW);
    }

    [LibraryImport(Library, EntryPoint = "cnn_version")]
    public static partial int Version(int* major, int* minor);

    [LibraryImport(Library, EntryPoint = "cnn_cpu_supported")]
    public static partial int CpuSupported(int* supported);

    [LibraryImport(Library, EntryPoint = "cnn_context_create")]
    public static partial int ContextCreate(int threads, nint* context);

    [LibraryImport(Library, EntryPoint = "cnn_isa_supported")]
    public static partial int IsaSupported(int isa, int* supported);

    [LibraryImport(Library, EntryPoint = "cnn_context_create_isa")]
    public static partial int ContextCreateIsa(int threads, int isa, nint* context);

    [LibraryImport(Library, EntryPoint = "cnn_context_isa")]
    public static partial int ContextIsa(nint context, int* isa);

    [LibraryImport(Library, EntryPoint = "cnn_context_destroy")]
    public static partial int ContextDestroy(nint context);

    [LibraryImport(Library, EntryPoint = "cnn_context_threads")]
    public static partial int ContextThreads(nint context, int* threads);

    // ------------------------------------------------------------------------------------ element-wise

    [LibraryImport(Library, EntryPoint = "cnn_fill")]
    public static partial int Fill(nint ctx, long length, float value, float* x, long xLen);

    [LibraryImport(Library, EntryPoint = "cnn_copy")]
    public static partial int Copy(nint ctx, long length, float* src, long srcLen, float* dst, long dstLen);

    [LibraryImport(Library, EntryPoint = "cnn_axpy")]
    public static partial int Axpy(nint ctx, long length, float alpha, float* x, long xLen, float* y, long yLen);

    [LibraryImport(Library, EntryPoint = "cnn_scale")]
    public static partial int Scale(nint ctx, long length, float alpha, float* x, long xLen);

    [LibraryImport(Library, EntryPoint = "cnn_multiply")]
    public static partial int Multiply(nint ctx, long length, float* a, long aLen, float* b, long bLen, float* y, long yLen);

    [LibraryImport(Library, EntryPoint = "cnn_activation_forward")]
    public static partial int ActivationForward(nint ctx, int activation, long length, float* x, long xLen, float* y, long yLen);

    [LibraryImport(Library, EntryPoint = "cnn_activation_backward")]
    public static partial int ActivationBackward(nint ctx, int activation, long length, float* y, long yLen, float* dy, long dyLen, float* dx, long dxLen);

    [LibraryImport(Library, EntryPoint = "cnn_dropout_forward")]
    public static partial int DropoutForward(nint ctx, long length, float rate, uint seed, float* x, long xLen, float* y, long yLen, float* mask, long maskLen);

    // ------------------------------------------------------------------------------------------- dense

    [LibraryImport(Library, EntryPoint = "cnn_gemm")]
    public static partial int Gemm(nint ctx, int transA, int transB, int m, int n, int k, float alpha,
                                   float* a, long aLen, float* b, long bLen, float beta, float* c, long cLen);

    [LibraryImport(Library, EntryPoint = "cnn_add_bias_rows")]
    public static partial int AddBiasRows(nint ctx, int rows, int cols, float* bias, long biasLen, float* y, long yLen);

    [LibraryImport(Library, EntryPoint = "cnn_sum_rows")]
    public static partial int SumRows(nint ctx, int rows, int cols, float* x, long xLen, float* sums, long sumsLen);

    // ------------------------------------------------------------------------------------- convolution

    [LibraryImport(Library, EntryPoint = "cnn_conv2d_forward")]
    public static partial int Conv2dForward(nint ctx, Conv2dGeometry* g, float* x, long xLen, float* w, long wLen,
                                            float* bias, long biasLen, float* y, long yLen);

    [LibraryImport(Library, EntryPoint = "cnn_conv2d_backward_data")]
    public static partial int Conv2dBackwardData(nint ctx, Conv2dGeometry* g, float* dy, long dyLen, float* w, long wLen, float* dx, long dxLen);

    [LibraryImport(Library, EntryPoint = "cnn_conv2d_backward_filter")]
    public static partial int Conv2dBackwardFilter(nint ctx, Conv2dGeometry* g, float* x, long xLen, float* dy, long dyLen,
                                                   float* dw, long dwLen, float* db, long dbLen);

    // ----------------------------------------------------------------------------------------- pooling

    [LibraryImport(Library, EntryPoint = "cnn_pool2d_forward")]
    public static partial int Pool2dForward(nint ctx, Pool2dGeometry* g, int mode, float* x, long xLen, float* y, long yLen);

    [LibraryImport(Library, EntryPoint = "cnn_pool2d_backward")]
    public static partial int Pool2dBackward(nint ctx, Pool2dGeometry* g, int mode, float* x, long xLen, float* dy, long dyLen, float* dx, long dxLen);

    // ------------------------------------------------------------------------------ batch normalization

    [LibraryImport(Library, EntryPoint = "cnn_batchnorm_forward_training")]
    public static partial int BatchNormForwardTraining(nint ctx, int n, int channels, int spatial, float eps, float momentum,
                                                       float* x, long xLen, float* gamma, long gammaLen, float* beta, long betaLen, float* y, long yLen,
                                                       float* saveMean, long saveMeanLen, float* saveInvStd, long saveInvStdLen,
                                                       float* runningMean, long runningMeanLen, float* runningVar, long runningVarLen);

    [LibraryImport(Library, EntryPoint = "cnn_batchnorm_forward_inference")]
    public static partial int BatchNormForwardInference(nint ctx, int n, int channels, int spatial, float eps,
                                                        float* x, long xLen, float* gamma, long gammaLen, float* beta, long betaLen,
                                                        float* runningMean, long runningMeanLen, float* runningVar, long runningVarLen, float* y, long yLen);

    [LibraryImport(Library, EntryPoint = "cnn_batchnorm_backward")]
    public static partial int BatchNormBackward(nint ctx, int n, int channels, int spatial, float* x, long xLen, float* dy, long dyLen,
                                                float* gamma, long gammaLen, float* saveMean, long saveMeanLen, float* saveInvStd, long saveInvStdLen,
                                                float* dx, long dxLen, float* dgamma, long dgammaLen, float* dbeta, long dbetaLen);

    // ------------------------------------------------------------------------------ softmax and losses

    [LibraryImport(Library, EntryPoint = "cnn_softmax_forward")]
    public static partial int SoftmaxForward(nint ctx, int rows, int cols, float* x, long xLen, float* y, long yLen);

    [LibraryImport(Library, EntryPoint = "cnn_softmax_backward")]
    public static partial int SoftmaxBackward(nint ctx, int rows, int cols, float* y, long yLen, float* dy, long dyLen, float* dx, long dxLen);

    [LibraryImport(Library, EntryPoint = "cnn_softmax_cross_entropy")]
    public static partial int SoftmaxCrossEntropy(nint ctx, int rows, int cols, float* logits, long logitsLen, float* targets, long targetsLen,
                                                  float* gradient, long gradientLen, float gradScale, float* loss);

    [LibraryImport(Library, EntryPoint = "cnn_squared_error")]
    public static partial int SquaredError(nint ctx, long length, float* prediction, long predictionLen, float* target, long targetLen,
                                           float* gradient, long gradientLen, float gradScale, float* loss);

    [LibraryImport(Library, EntryPoint = "cnn_count_correct")]
    public static partial int CountCorrect(nint ctx, int rows, int cols, float* scores, long scoresLen, float* targets, long targetsLen, int* correct);

    // -------------------------------------------------------------------------------------- optimizers

    [LibraryImport(Library, EntryPoint = "cnn_sgd_step")]
    public static partial int SgdStep(nint ctx, long length, float* param, long paramLen, float* grad, long gradLen,
                                      float* velocity, long velocityLen, float lr, float momentum, float weightDecay, int nesterov);

    [LibraryImport(Library, EntryPoint = "cnn_adam_step")]
    public static partial int AdamStep(nint ctx, long length, float* param, long paramLen, float* grad, long gradLen,
                                       float* m, long mLen, float* v, long vLen, float lr, float beta1, float beta2, float eps,
                                       float weightDecay, int step);
}
