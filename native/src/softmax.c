/* softmax.c: row-wise softmax forward and backward (the fused cross-entropy is in loss.c). Rows are a batch of
 * class scores, small, so they stay on one thread, in the reference's double-precision arithmetic and order. */
#include "internal.h"
#include <math.h>

int cnn_softmax_forward(cnn_context *ctx, int rows, int cols, const float *x, int64_t x_len, float *y, int64_t y_len) {
    MATRIX_PROLOGUE(rows, cols);
    CNN_CHECK_BUF(x, x_len, count_);
    CNN_CHECK_BUF(y, y_len, count_);
    for (int r = 0; r < rows; r++) {
        const float *row = x + (ptrdiff_t)r * cols;
        float *out = y + (ptrdiff_t)r * cols;
        float max = -INFINITY;
        for (int j = 0; j < cols; j++) max = cnn__net_max(max, row[j]);
        double sum = 0.0;
        for (int j = 0; j < cols; j++) sum += exp((double)(row[j] - max));
        for (int j = 0; j < cols; j++) out[j] = (float)(exp((double)(row[j] - max)) / sum);
    }
    return CNN_OK;
}

int cnn_softmax_backward(cnn_context *ctx, int rows, int cols, const float *y, int64_t y_len,
                         const float *dy, int64_t dy_len, float *dx, int64_t dx_len) {
    MATRIX_PROLOGUE(rows, cols);
    CNN_CHECK_BUF(y, y_len, count_);
    CNN_CHECK_BUF(dy, dy_len, count_);
    CNN_CHECK_BUF(dx, dx_len, count_);
    for (int r = 0; r < rows; r++) {
        const float *yr = y + (ptrdiff_t)r * cols, *dyr = dy + (ptrdiff_t)r * cols;
        float *dxr = dx + (ptrdiff_t)r * cols;
        double dot = 0.0;
        for (int j = 0; j < cols; j++) dot += (double)dyr[j] * yr[j];
        for (int j = 0; j < cols; j++) dxr[j] = (float)(yr[j] * (dyr[j] - dot));
    }
    return CNN_OK;
}
