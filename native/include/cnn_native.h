/* cnn_native.h: the C ABI of libcnnnative, the native device of CnnNative.
 *
 * Conventions shared by every function:
 *  - Every function returns an int status (CNN_OK or a CNN_E_* code) and never aborts, exits or prints.
 *    Nothing is written when a call returns an error status (all checks run before any work).
 *  - Tensors are float32, row-major, NCHW. Every buffer is passed as a pointer followed by its capacity in
 *    elements (the `*_len` argument); the library checks each capacity against what the op needs and returns
 *    CNN_E_BUFFER_TOO_SMALL when one is short. Buffers may be longer than needed; only the named elements are
 *    read or written. Required pointers must be non-NULL even when an op needs 0 elements (CNN_E_NULL_POINTER).
 *  - Forward ops and data gradients overwrite their output. Parameter gradients (conv backward-filter's dw and db,
 *    gemm with beta = 1, sum_rows) accumulate.
 *  - Checks run in this order: context, sizes (CNN_E_INVALID_SIZE), other arguments (CNN_E_INVALID_ARGUMENT),
 *    pointers (CNN_E_NULL_POINTER), capacities (CNN_E_BUFFER_TOO_SMALL), workspace (CNN_E_OUT_OF_MEMORY).
 *  - A context owns the thread count and the workspaces (allocated on first need, grown when a larger problem
 *    comes, freed by cnn_context_destroy). A context must not be used by two threads at once; different
 *    contexts are independent.
 *  - The numerical semantics are those of CnnNative's ReferenceDevice (src/CnnNative/Devices/Reference):
 *    element-wise ops, losses, pooling and optimizer steps reproduce it bit for bit; gemm and convolutions
 *    accumulate in float32 (FMA) and match it within rounding.
 *  - The compute kernels use AVX2 and FMA. Call cnn_cpu_supported (or cnn_context_create, which refuses) before
 *    any op on an unknown processor: an op on a processor without AVX2/FMA would fault. A context's GEMM and
 *    convolution kernels use AVX-512F instead where the processor has it (chosen once, when the context is
 *    created; cnn_context_create_isa can force the AVX2 ones); nothing outside them uses AVX-512.
 */
#ifndef CNN_NATIVE_H
#define CNN_NATIVE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define CNN_API __declspec(dllexport)
#else
#define CNN_API __attribute__((visibility("default")))
#endif

/* Version of the ABI; the C# side refuses a library whose major version differs from its own.
 * The major version changes whenever a signature, struct or status code changes meaning. */
#define CNN_NATIVE_VERSION_MAJOR 1
#define CNN_NATIVE_VERSION_MINOR 1

/* Status codes. */
#define CNN_OK 0
#define CNN_E_NULL_POINTER 1      /* a required pointer argument was NULL */
#define CNN_E_INVALID_SIZE 2      /* a size was zero, negative or inconsistent */
#define CNN_E_BUFFER_TOO_SMALL 3  /* a buffer's element count is smaller than the op needs */
#define CNN_E_UNSUPPORTED_CPU 4   /* the processor lacks AVX2/FMA */
#define CNN_E_OUT_OF_MEMORY 5     /* a workspace allocation failed */
#define CNN_E_INVALID_ARGUMENT 6  /* a non-size argument is out of range (activation, pool mode, dropout rate, step, eps, momentum) */

/* Activation functions (values of the C# enum CnnNative.Devices.Activation). */
#define CNN_ACTIVATION_RELU 0
#define CNN_ACTIVATION_SIGMOID 1
#define CNN_ACTIVATION_TANH 2

/* Instruction sets of a context's GEMM and convolution kernels (values of the C# enum NativeIsa). */
#define CNN_ISA_AUTO 0   /* the widest this processor runs: AVX512 where AVX-512F is present, else AVX2 */
#define CNN_ISA_AVX2 1   /* 256-bit AVX2 + FMA kernels (every op needs AVX2 and FMA) */
#define CNN_ISA_AVX512 2 /* 512-bit AVX-512F kernels */

/* Pooling modes (values of the C# enum CnnNative.Devices.PoolMode). */
#define CNN_POOL_MAX 0
#define CNN_POOL_AVERAGE 1

/* Sizes of one 2-D convolution: input x (n, c, h, w), filters w (k, c, r, s), bias (k), output y (n, k, p, q)
 * with p = (h - r + 2 pad_h) / stride_h + 1 and q = (w - s + 2 pad_w) / stride_w + 1 (floor division).
 * Valid when n, c, h, w, k, r, s, strides > 0, pads >= 0 and p, q > 0; otherwise CNN_E_INVALID_SIZE. */
typedef struct cnn_conv2d_geometry {
    int32_t n, c, h, w, k, r, s, stride_h, stride_w, pad_h, pad_w;
} cnn_conv2d_geometry;

/* Sizes of one 2-D pooling without padding: input (n, c, h, w), window r x s, output (n, c, p, q) with
 * p = (h - r) / stride_h + 1, q = (w - s) / stride_w + 1. Valid when all are positive and r <= h, s <= w. */
typedef struct cnn_pool2d_geometry {
    int32_t n, c, h, w, r, s, stride_h, stride_w;
} cnn_pool2d_geometry;

typedef struct cnn_context cnn_context;

/* ------------------------------------------------------------------------------------------------ library */

/* Writes the library's major and minor version. */
CNN_API int cnn_version(int *major, int *minor);

/* Writes 1 to *supported when this processor has AVX2 and FMA (which every op needs), else 0. */
CNN_API int cnn_cpu_supported(int *supported);

/* Creates a context that runs ops on `threads` threads (0: one per processor the process may use): the calling
 * thread and threads - 1 helpers started here, which sleep while no op runs. Its GEMM and convolution kernels use
 * the widest instruction set the processor runs (cnn_context_create_isa chooses another).
 * Errors: CNN_E_NULL_POINTER (out), CNN_E_INVALID_SIZE (threads < 0), CNN_E_UNSUPPORTED_CPU,
 * CNN_E_OUT_OF_MEMORY (also when a helper thread cannot be started). On error *out is set to NULL. */
CNN_API int cnn_context_create(int threads, cnn_context **out);

/* Writes 1 to *supported when this processor runs the kernels of `isa` (CNN_ISA_AUTO: AVX2 and FMA, which every
 * op needs), else 0. Errors: CNN_E_NULL_POINTER, CNN_E_INVALID_ARGUMENT (isa is not a CNN_ISA_* value). */
CNN_API int cnn_isa_supported(int isa, int *supported);

/* cnn_context_create with the instruction set of the context's GEMM and convolution kernels chosen: CNN_ISA_AUTO
 * (what cnn_context_create does) picks the widest this processor runs; CNN_ISA_AVX2 keeps to 256-bit vectors even
 * where AVX-512 is present (to compare or test both). Errors, in this order: CNN_E_NULL_POINTER (out),
 * CNN_E_INVALID_SIZE (threads < 0), CNN_E_INVALID_ARGUMENT (isa is not a CNN_ISA_* value), CNN_E_UNSUPPORTED_CPU
 * (no AVX2/FMA, or not the set asked for), CNN_E_OUT_OF_MEMORY. On error *out is set to NULL. */
CNN_API int cnn_context_create_isa(int threads, int isa, cnn_context **out);

/* Writes the instruction set the context's kernels use: CNN_ISA_AVX2 or CNN_ISA_AVX512, never CNN_ISA_AUTO. */
CNN_API int cnn_context_isa(const cnn_context *ctx, int *isa);

/* Frees a context and its workspaces. NULL is accepted (CNN_OK). */
CNN_API int cnn_context_destroy(cnn_context *ctx);

/* Writes the number of threads the context uses. */
CNN_API int cnn_context_threads(const cnn_context *ctx, int *threads);

/* ------------------------------------------------------------------------------------------- element-wise */
/* `length` >= 0 elements; each buffer needs capacity >= length. */

/* x[0..length) = value. */
CNN_API int cnn_fill(cnn_context *ctx, int64_t length, float value, float *x, int64_t x_len);

/* dst[0..length) = src[0..length). The ranges may be the same buffer but must not partly overlap. */
CNN_API int cnn_copy(cnn_context *ctx, int64_t length, const float *src, int64_t src_len, float *dst, int64_t dst_len);

/* y += alpha * x. */
CNN_API int cnn_axpy(cnn_context *ctx, int64_t length, float alpha, const float *x, int64_t x_len, float *y, int64_t y_len);

/* x *= alpha. */
CNN_API int cnn_scale(cnn_context *ctx, int64_t length, float alpha, float *x, int64_t x_len);

/* y = a * b element-wise. */
CNN_API int cnn_multiply(cnn_context *ctx, int64_t length, const float *a, int64_t a_len, const float *b, int64_t b_len,
                         float *y, int64_t y_len);

/* y = f(x) for f one of CNN_ACTIVATION_* (ReLU: x > 0 ? x : 0; sigmoid and tanh computed in double). */
CNN_API int cnn_activation_forward(cnn_context *ctx, int activation, int64_t length, const float *x, int64_t x_len,
                                   float *y, int64_t y_len);

/* dx = dy * f'(x) computed from the forward output y (ReLU: y > 0; sigmoid: y(1 - y); tanh: 1 - y^2). */
CNN_API int cnn_activation_backward(cnn_context *ctx, int activation, int64_t length, const float *y, int64_t y_len,
                                    const float *dy, int64_t dy_len, float *dx, int64_t dx_len);

/* Inverted dropout: mask[i] = 1/(1 - rate) when uniform(seed, i) >= rate else 0; y = x * mask.
 * uniform is the counter hash of CnnNative's DropoutHash. rate must be in [0, 1) (else CNN_E_INVALID_ARGUMENT);
 * length must fit in int32 (the hash is defined on int32 indices). */
CNN_API int cnn_dropout_forward(cnn_context *ctx, int64_t length, float rate, uint32_t seed, const float *x, int64_t x_len,
                                float *y, int64_t y_len, float *mask, int64_t mask_len);

/* ------------------------------------------------------------------------------------------------- dense */

/* C = alpha * op(A) * op(B) + beta * C, row-major, C m x n (capacity m*n), op(A) m x k, op(B) k x n;
 * op(A) = A^T when trans_a != 0 (A then stored k x m), likewise B. A needs m*k elements, B k*n.
 * beta == 0 ignores C's old contents (even NaN). m, n, k >= 0. */
CNN_API int cnn_gemm(cnn_context *ctx, int trans_a, int trans_b, int m, int n, int k, float alpha,
                     const float *a, int64_t a_len, const float *b, int64_t b_len, float beta, float *c, int64_t c_len);

/* y[r, j] += bias[j] for a rows x cols matrix y (capacity rows*cols), bias capacity cols. */
CNN_API int cnn_add_bias_rows(cnn_context *ctx, int rows, int cols, const float *bias, int64_t bias_len, float *y, int64_t y_len);

/* sums[j] += sum over r of x[r, j] (summed in double, then added as float). */
CNN_API int cnn_sum_rows(cnn_context *ctx, int rows, int cols, const float *x, int64_t x_len, float *sums, int64_t sums_len);

/* ------------------------------------------------------------------------------------------- convolution */
/* Cross-correlation with zero padding. x needs n*c*h*w elements, w k*c*r*s, bias k, y n*k*p*q. */

/* y = conv(x, w) + bias. bias may be NULL (then bias_len is ignored). */
CNN_API int cnn_conv2d_forward(cnn_context *ctx, const cnn_conv2d_geometry *g, const float *x, int64_t x_len,
                               const float *w, int64_t w_len, const float *bias, int64_t bias_len, float *y, int64_t y_len);

/* dx = gradient of the loss with respect to x, overwritten (every element of the n*c*h*w range is written). */
CNN_API int cnn_conv2d_backward_data(cnn_context *ctx, const cnn_conv2d_geometry *g, const float *dy, int64_t dy_len,
                                     const float *w, int64_t w_len, float *dx, int64_t dx_len);

/* dw += gradient with respect to w; db += sum over n, p, q of dy (db may be NULL, then db_len is ignored). */
CNN_API int cnn_conv2d_backward_filter(cnn_context *ctx, const cnn_conv2d_geometry *g, const float *x, int64_t x_len,
                                       const float *dy, int64_t dy_len, float *dw, int64_t dw_len, float *db, int64_t db_len);

/* ---------------------------------------------------------------------------------------------- pooling */
/* x needs n*c*h*w elements, y and dy n*c*p*q. mode is CNN_POOL_MAX or CNN_POOL_AVERAGE (average divides by r*s). */

/* y = max or mean over each window (max propagates NaN). */
CNN_API int cnn_pool2d_forward(cnn_context *ctx, const cnn_pool2d_geometry *g, int mode, const float *x, int64_t x_len,
                               float *y, int64_t y_len);

/* dx (overwritten) = gradient with respect to x. Max routes each dy to the first position (row-major within
 * the window) holding the window's maximum of x; average spreads dy / (r*s); overlapping windows add up. */
CNN_API int cnn_pool2d_backward(cnn_context *ctx, const cnn_pool2d_geometry *g, int mode, const float *x, int64_t x_len,
                                const float *dy, int64_t dy_len, float *dx, int64_t dx_len);

/* ---------------------------------------------------------------------------------- batch normalization */
/* x (and y, dy, dx) is (n, channels, spatial): NCHW with spatial = h*w, or (n, features) with spatial = 1; element
 * (i, c, s) is at (i*channels + c)*spatial + s and needs capacity n*channels*spatial. Every per-channel buffer (gamma,
 * beta, save_mean, save_inv_std, running_mean, running_var, dgamma, dbeta) needs capacity channels. n, channels,
 * spatial >= 0; with nothing to compute (a size of 0) nothing is written. Per channel the m = n*spatial values are
 * summed in double, in an order fixed by the sizes (never by the thread count); the reference sums in the same way
 * up to the order, so results match it within rounding. */

/* Training: mean = sum(x)/m, var = sum((x - mean)^2)/m, inv_std = 1/sqrt(var + eps) per channel;
 * y = (x - mean)*inv_std*gamma + beta; save_mean, save_inv_std = mean, inv_std;
 * running_mean = (1 - momentum)*running_mean + momentum*mean, running_var likewise with the unbiased variance
 * var*m/(m - 1) (0 when m = 1). eps must be positive and finite, momentum in [0, 1] (else CNN_E_INVALID_ARGUMENT). */
CNN_API int cnn_batchnorm_forward_training(cnn_context *ctx, int n, int channels, int spatial, float eps, float momentum,
                                           const float *x, int64_t x_len, const float *gamma, int64_t gamma_len,
                                           const float *beta, int64_t beta_len, float *y, int64_t y_len,
                                           float *save_mean, int64_t save_mean_len, float *save_inv_std, int64_t save_inv_std_len,
                                           float *running_mean, int64_t running_mean_len, float *running_var, int64_t running_var_len);

/* Inference: y = (x - running_mean)/sqrt(running_var + eps)*gamma + beta. eps as above. */
CNN_API int cnn_batchnorm_forward_inference(cnn_context *ctx, int n, int channels, int spatial, float eps,
                                            const float *x, int64_t x_len, const float *gamma, int64_t gamma_len,
                                            const float *beta, int64_t beta_len, const float *running_mean, int64_t running_mean_len,
                                            const float *running_var, int64_t running_var_len, float *y, int64_t y_len);

/* Backward of the training form from x and the saved statistics, xhat = (x - save_mean)*save_inv_std:
 * dbeta += sum(dy), dgamma += sum(dy*xhat) (accumulated), dx = gamma*save_inv_std/m*(m*dy - sum(dy) - xhat*sum(dy*xhat))
 * (overwritten). */
CNN_API int cnn_batchnorm_backward(cnn_context *ctx, int n, int channels, int spatial, const float *x, int64_t x_len,
                                   const float *dy, int64_t dy_len, const float *gamma, int64_t gamma_len,
                                   const float *save_mean, int64_t save_mean_len, const float *save_inv_std, int64_t save_inv_std_len,
                                   float *dx, int64_t dx_len, float *dgamma, int64_t dgamma_len, float *dbeta, int64_t dbeta_len);

/* ------------------------------------------------------------------------------------ softmax and losses */
/* Matrices are rows x cols (capacity rows*cols); rows >= 0, cols >= 1. */

/* Row-wise softmax. */
CNN_API int cnn_softmax_forward(cnn_context *ctx, int rows, int cols, const float *x, int64_t x_len, float *y, int64_t y_len);

/* dx = y * (dy - sum_j dy*y), row-wise. */
CNN_API int cnn_softmax_backward(cnn_context *ctx, int rows, int cols, const float *y, int64_t y_len,
                                 const float *dy, int64_t dy_len, float *dx, int64_t dx_len);

/* Fused softmax + categorical cross-entropy (log-sum-exp). targets is a distribution per row.
 * gradient = grad_scale * (softmax(logits) - targets); *loss = -sum targets * log softmax(logits) over all rows. */
CNN_API int cnn_softmax_cross_entropy(cnn_context *ctx, int rows, int cols, const float *logits, int64_t logits_len,
                                      const float *targets, int64_t targets_len, float *gradient, int64_t gradient_len,
                                      float grad_scale, float *loss);

/* gradient = grad_scale * 2 (prediction - target); *loss = sum (prediction - target)^2. length >= 0. */
CNN_API int cnn_squared_error(cnn_context *ctx, int64_t length, const float *prediction, int64_t prediction_len,
                              const float *target, int64_t target_len, float *gradient, int64_t gradient_len,
                              float grad_scale, float *loss);

/* *correct = number of rows whose argmax(scores) equals argmax(targets) (the first maximum wins ties). */
CNN_API int cnn_count_correct(cnn_context *ctx, int rows, int cols, const float *scores, int64_t scores_len,
                              const float *targets, int64_t targets_len, int *correct);

/* ----------------------------------------------------------------------------------------------- optimizers */

/* SGD with momentum and L2 weight decay (PyTorch's form): g = grad + wd*param; v = momentum*v + g;
 * param -= lr * (nesterov ? g + momentum*v : v). With momentum == 0 velocity is not touched and may be NULL. */
CNN_API int cnn_sgd_step(cnn_context *ctx, int64_t length, float *param, int64_t param_len, const float *grad, int64_t grad_len,
                         float *velocity, int64_t velocity_len, float lr, float momentum, float weight_decay, int nesterov);

/* Adam with bias correction; step >= 1 (else CNN_E_INVALID_ARGUMENT). g = grad + wd*param;
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; param -= lr (m/(1-b1^step)) / (sqrt(v/(1-b2^step)) + eps). */
CNN_API int cnn_adam_step(cnn_context *ctx, int64_t length, float *param, int64_t param_len, const float *grad, int64_t grad_len,
                          float *m, int64_t m_len, float *v, int64_t v_len, float lr, float beta1, float beta2, float eps,
                          float weight_decay, int step);

#ifdef __cplusplus
}
#endif
#endif /* CNN_NATIVE_H */
