/* activation.c: ReLU, sigmoid and tanh, forward and backward, element by element in the reference's precision
 * and order (sigmoid and tanh in double), split across the context's threads when long. */
#include "internal.h"
#include <math.h>

static int valid_activation(int f) { return f == CNN_ACTIVATION_RELU || f == CNN_ACTIVATION_SIGMOID || f == CNN_ACTIVATION_TANH; }

/* The arguments of one forward or backward range: forward reads x and writes y; backward reads y and dy, writes dx. */
typedef struct { const float *x; float *y; const float *dy; float *dx; } activation_args;

static void relu_forward_range(const void *p, int64_t begin, int64_t end) {
    const activation_args *a = (const activation_args *)p;
    const float *x = a->x;
    float *y = a->y;
    for (int64_t i = begin; i < end; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
}

static void sigmoid_forward_range(const void *p, int64_t begin, int64_t end) {
    const activation_args *a = (const activation_args *)p;
    const float *x = a->x;
    float *y = a->y;
    for (int64_t i = begin; i < end; i++) y[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
}

static void tanh_forward_range(const void *p, int64_t begin, int64_t end) {
    const activation_args *a = (const activation_args *)p;
    const float *x = a->x;
    float *y = a->y;
    for (int64_t i = begin; i < end; i++) y[i] = (float)tanh((double)x[i]);
}

/* dy * (y > 0 ? 1 : 0), not a select, so that an infinite or NaN dy behaves as in the reference. */
static void relu_backward_range(const void *p, int64_t begin, int64_t end) {
    const activation_args *a = (const activation_args *)p;
    const float *y = a->x, *dy = a->dy;
    float *dx = a->dx;
    for (int64_t i = begin; i < end; i++) dx[i] = dy[i] * (y[i] > 0 ? 1.0f : 0.0f);
}

static void sigmoid_backward_range(const void *p, int64_t begin, int64_t end) {
    const activation_args *a = (const activation_args *)p;
    const float *y = a->x, *dy = a->dy;
    float *dx = a->dx;
    for (int64_t i = begin; i < end; i++) dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
}

static void tanh_backward_range(const void *p, int64_t begin, int64_t end) {
    const activation_args *a = (const activation_args *)p;
    const float *y = a->x, *dy = a->dy;
    float *dx = a->dx;
    for (int64_t i = begin; i < end; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

int cnn_activation_forward(cnn_context *ctx, int activation, int64_t length, const float *x, int64_t x_len,
                           float *y, int64_t y_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_ARG(valid_activation(activation));
    CNN_CHECK_BUF(x, x_len, length);
    CNN_CHECK_BUF(y, y_len, length);
    activation_args a = {x, y, NULL, NULL};
    /* sigmoid and tanh cost a libm call per element: worth splitting 8 times sooner */
    if (activation == CNN_ACTIVATION_RELU) cnn__parallel_range(ctx, length, CNN_PARALLEL_MIN, relu_forward_range, &a);
    else cnn__parallel_range(ctx, length, CNN_PARALLEL_MIN / 8, activation == CNN_ACTIVATION_SIGMOID ? sigmoid_forward_range : tanh_forward_range, &a);
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
    activation_args a = {y, NULL, dy, dx};
    cnn_range_fn body = activation == CNN_ACTIVATION_RELU ? relu_backward_range
                      : activation == CNN_ACTIVATION_SIGMOID ? sigmoid_backward_range : tanh_backward_range;
    cnn__parallel_range(ctx, length, CNN_PARALLEL_MIN, body, &a);
    return CNN_OK;
}
