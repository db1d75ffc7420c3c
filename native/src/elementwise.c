/* elementwise.c: fill, copy, axpy, scale, multiply and dropout (the activations are in activation.c).
 * Each is one pass the compiler vectorises, over a range (a `*_range` body with its arguments in a struct), which
 * cnn__parallel_range splits across the context's threads when the op is long. The arithmetic is
 * the reference's, in the same order and precision (the library is built with -ffp-contract=off so no
 * multiply-add is fused behind our back), so results are bit-identical. */
#include "internal.h"
#include <math.h>
#include <string.h>

typedef struct { float value; float *x; } fill_args;

static void fill_range(const void *p, int64_t begin, int64_t end) {
    const fill_args *a = (const fill_args *)p;
    float value = a->value, *x = a->x;
    for (int64_t i = begin; i < end; i++) x[i] = value;
}

int cnn_fill(cnn_context *ctx, int64_t length, float value, float *x, int64_t x_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(x, x_len, length);
    fill_args a = {value, x};
    cnn__parallel_range(ctx, length, CNN_PARALLEL_MIN, fill_range, &a);
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

typedef struct { float alpha; const float *x; float *y; } axpy_args;

static void axpy_range(const void *p, int64_t begin, int64_t end) {
    const axpy_args *a = (const axpy_args *)p;
    float alpha = a->alpha;
    const float *x = a->x;
    float *y = a->y;
    for (int64_t i = begin; i < end; i++) y[i] += alpha * x[i];
}

int cnn_axpy(cnn_context *ctx, int64_t length, float alpha, const float *x, int64_t x_len, float *y, int64_t y_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(x, x_len, length);
    CNN_CHECK_BUF(y, y_len, length);
    axpy_args a = {alpha, x, y};
    cnn__parallel_range(ctx, length, CNN_PARALLEL_MIN, axpy_range, &a);
    return CNN_OK;
}

typedef struct { float alpha; float *x; } scale_args;

static void scale_range(const void *p, int64_t begin, int64_t end) {
    const scale_args *a = (const scale_args *)p;
    float alpha = a->alpha, *x = a->x;
    for (int64_t i = begin; i < end; i++) x[i] *= alpha;
}

int cnn_scale(cnn_context *ctx, int64_t length, float alpha, float *x, int64_t x_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(x, x_len, length);
    scale_args a = {alpha, x};
    cnn__parallel_range(ctx, length, CNN_PARALLEL_MIN, scale_range, &a);
    return CNN_OK;
}

typedef struct { const float *a, *b; float *y; } multiply_args;

static void multiply_range(const void *p, int64_t begin, int64_t end) {
    const multiply_args *m = (const multiply_args *)p;
    const float *a = m->a, *b = m->b;
    float *y = m->y;
    for (int64_t i = begin; i < end; i++) y[i] = a[i] * b[i];
}

int cnn_multiply(cnn_context *ctx, int64_t length, const float *a, int64_t a_len, const float *b, int64_t b_len,
                 float *y, int64_t y_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(a, a_len, length);
    CNN_CHECK_BUF(b, b_len, length);
    CNN_CHECK_BUF(y, y_len, length);
    multiply_args m = {a, b, y};
    cnn__parallel_range(ctx, length, CNN_PARALLEL_MIN, multiply_range, &m);
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

typedef struct { float rate, keep; uint32_t seed; const float *x; float *y, *mask; } dropout_args;

static void dropout_range(const void *p, int64_t begin, int64_t end) {
    const dropout_args *a = (const dropout_args *)p;
    float rate = a->rate, keep = a->keep, *y = a->y, *mask = a->mask;
    const float *x = a->x;
    uint32_t seed = a->seed;
    for (int64_t i = begin; i < end; i++) {
        float m = dropout_uniform(seed, (int32_t)i) >= rate ? keep : 0.0f;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}

int cnn_dropout_forward(cnn_context *ctx, int64_t length, float rate, uint32_t seed, const float *x, int64_t x_len,
                        float *y, int64_t y_len, float *mask, int64_t mask_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0 && length <= INT32_MAX);
    CNN_CHECK_ARG(rate >= 0.0f && rate < 1.0f);
    CNN_CHECK_BUF(x, x_len, length);
    CNN_CHECK_BUF(y, y_len, length);
    CNN_CHECK_BUF(mask, mask_len, length);
    dropout_args a = {rate, 1.0f / (1.0f - rate), seed, x, y, mask};
    cnn__parallel_range(ctx, length, CNN_PARALLEL_MIN, dropout_range, &a);
    return CNN_OK;
}
