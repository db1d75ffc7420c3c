/* elementwise.c: fill, copy, axpy, scale, multiply, activations and dropout.
 * Each is one pass the compiler vectorises; large ones split across the context's threads. The arithmetic is
 * the reference's, in the same order and precision (the library is built with -ffp-contract=off so no
 * multiply-add is fused behind our back), so results are bit-identical. */
#include "internal.h"
#include <math.h>
#include <string.h>

#define PAR_FOR(ctx, length) _Pragma("omp parallel for schedule(static) num_threads((ctx)->threads) if ((length) >= CNN_PARALLEL_MIN)")

int cnn_fill(cnn_context *ctx, int64_t length, float value, float *x, int64_t x_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(x, x_len, length);
    PAR_FOR(ctx, length)
    for (int64_t i = 0; i < length; i++) x[i] = value;
    return CNN_OK;
}

int cnn_copy(cnn_context *ctx, int64_t length, const float *src, int64_t src_len, float *dst, int64_t dst_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(src, src_len, length);
    CNN_CHECK_BUF(dst, dst_len, length);
    if (src != dst && length > 0) memmove(dst, src, sizeof(float) * (size_t)length);
    return CNN_OK;
}

int cnn_axpy(cnn_context *ctx, int64_t length, float alpha, const float *x, int64_t x_len, float *y, int64_t y_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(x, x_len, length);
    CNN_CHECK_BUF(y, y_len, length);
    PAR_FOR(ctx, length)
    for (int64_t i = 0; i < length; i++) y[i] += alpha * x[i];
    return CNN_OK;
}

int cnn_scale(cnn_context *ctx, int64_t length, float alpha, float *x, int64_t x_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(x, x_len, length);
    PAR_FOR(ctx, length)
    for (int64_t i = 0; i < length; i++) x[i] *= alpha;
    return CNN_OK;
}

int cnn_multiply(cnn_context *ctx, int64_t length, const float *a, int64_t a_len, const float *b, int64_t b_len,
                 float *y, int64_t y_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(a, a_len, length);
    CNN_CHECK_BUF(b, b_len, length);
    CNN_CHECK_BUF(y, y_len, length);
    PAR_FOR(ctx, length)
    for (int64_t i = 0; i < length; i++) y[i] = a[i] * b[i];
    return CNN_OK;
}

static int valid_activation(int f) { return f == CNN_ACTIVATION_RELU || f == CNN_ACTIVATION_SIGMOID || f == CNN_ACTIVATION_TANH; }

int cnn_activation_forward(cnn_context *ctx, int activation, int64_t length, const float *x, int64_t x_len,
                           float *y, int64_t y_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_ARG(valid_activation(activation));
    CNN_CHECK_BUF(x, x_len, length);
    CNN_CHECK_BUF(y, y_len, length);
    switch (activation) {
    case CNN_ACTIVATION_RELU:
        PAR_FOR(ctx, length)
        for (int64_t i = 0; i < length; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
        break;
    case CNN_ACTIVATION_SIGMOID:
        PAR_FOR(ctx, length / 8)
        for (int64_t i = 0; i < length; i++) y[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
        break;
    default:
        PAR_FOR(ctx, length / 8)
        for (int64_t i = 0; i < length; i++) y[i] = (float)tanh((double)x[i]);
        break;
    }
    return CNN_OK;
}

int cnn_activation_backward(cnn_context *ctx, int activation, int64_t length, const float *y, int64_t y_len,
                            const float *dy, int64_t dy_len, float *dx, int64_t dx_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_ARG(valid_activation(activation));
    CNN_CHECK_BUF(y, y_len, length);
    CNN_CHECK_BUF(dy, dy_len, length);
    CNN_CHECK_BUF(dx, dx_len, length);
    switch (activation) {
    case CNN_ACTIVATION_RELU:
        /* dy * (y > 0 ? 1 : 0), not a select, so that an infinite or NaN dy behaves as in the reference. */
        PAR_FOR(ctx, length)
        for (int64_t i = 0; i < length; i++) dx[i] = dy[i] * (y[i] > 0 ? 1.0f : 0.0f);
        break;
    case CNN_ACTIVATION_SIGMOID:
        PAR_FOR(ctx, length)
        for (int64_t i = 0; i < length; i++) dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
        break;
    default:
        PAR_FOR(ctx, length)
        for (int64_t i = 0; i < length; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    }
    return CNN_OK;
}

/* CnnNative.Devices.Reference.DropoutHash.Uniform, operation for operation (uint32 wrap-around arithmetic). */
static inline float dropout_uniform(uint32_t seed, int32_t index) {
    uint32_t h = (uint32_t)index * 0x9E3779B1u + seed * 0x85EBCA77u + 0x165667B1u;
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return (float)(h >> 8) * (1.0f / 16777216.0f);
}

int cnn_dropout_forward(cnn_context *ctx, int64_t length, float rate, uint32_t seed, const float *x, int64_t x_len,
                        float *y, int64_t y_len, float *mask, int64_t mask_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0 && length <= INT32_MAX);
    CNN_CHECK_ARG(rate >= 0.0f && rate < 1.0f);
    CNN_CHECK_BUF(x, x_len, length);
    CNN_CHECK_BUF(y, y_len, length);
    CNN_CHECK_BUF(mask, mask_len, length);
    float keep = 1.0f / (1.0f - rate);
    PAR_FOR(ctx, length)
    for (int64_t i = 0; i < length; i++) {
        float m = dropout_uniform(seed, (int32_t)i) >= rate ? keep : 0.0f;
        mask[i] = m;
        y[i] = x[i] * m;
    }
    return CNN_OK;
}
