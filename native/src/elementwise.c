/* elementwise.c: fill, copy, axpy, scale, multiply and dropout (the activations are in activation.c).
 * Each is one pass the compiler vectorises; large ones split across the context's threads. The arithmetic is
 * the reference's, in the same order and precision (the library is built with -ffp-contract=off so no
 * multiply-add is fused behind our back), so results are bit-identical. */
#include "internal.h"
#include <math.h>
#include <string.h>

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
