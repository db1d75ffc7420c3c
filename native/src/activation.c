/* activation.c: ReLU, sigmoid and tanh, forward and backward, element by element in the reference's precision
 * and order (sigmoid and tanh in double), split across the context's threads when long. */
#include "internal.h"
#include <math.h>

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
