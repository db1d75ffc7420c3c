/* loss.c: fused softmax cross-entropy, squared error, count-correct.
 * These run on small matrices (batch x classes) once per batch, so they stay on one thread and reproduce the
 * reference's double-precision arithmetic in its order: the losses match it bit for bit. */
#include "internal.h"
#include <math.h>

int cnn_softmax_cross_entropy(cnn_context *ctx, int rows, int cols, const float *logits, int64_t logits_len,
                              const float *targets, int64_t targets_len, float *gradient, int64_t gradient_len,
                              float grad_scale, float *loss) {
    MATRIX_PROLOGUE(rows, cols);
    CNN_CHECK_BUF(logits, logits_len, count_);
    CNN_CHECK_BUF(targets, targets_len, count_);
    CNN_CHECK_BUF(gradient, gradient_len, count_);
    CNN_CHECK_PTR(loss);
    double total = 0.0;
    for (int r = 0; r < rows; r++) {
        const float *z = logits + (ptrdiff_t)r * cols, *t = targets + (ptrdiff_t)r * cols;
        float *g = gradient + (ptrdiff_t)r * cols;
        float max = -INFINITY;
        for (int j = 0; j < cols; j++) max = cnn__net_max(max, z[j]);
        double sum = 0.0;
        for (int j = 0; j < cols; j++) sum += exp((double)(z[j] - max));
        double log_sum = log(sum) + max;
        for (int j = 0; j < cols; j++) {
            double logp = z[j] - log_sum;
            total -= t[j] * logp;
            g[j] = (float)(grad_scale * (exp(logp) - t[j]));
        }
    }
    *loss = (float)total;
    return CNN_OK;
}

int cnn_squared_error(cnn_context *ctx, int64_t length, const float *prediction, int64_t prediction_len,
                      const float *target, int64_t target_len, float *gradient, int64_t gradient_len,
                      float grad_scale, float *loss) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(prediction, prediction_len, length);
    CNN_CHECK_BUF(target, target_len, length);
    CNN_CHECK_BUF(gradient, gradient_len, length);
    CNN_CHECK_PTR(loss);
    double sum = 0.0;
    float scale2 = grad_scale * 2;
    for (int64_t i = 0; i < length; i++) {
        double d = (double)prediction[i] - target[i];
        sum += d * d;
        gradient[i] = (float)(scale2 * d);
    }
    *loss = (float)sum;
    return CNN_OK;
}

static int arg_max(const float *row, int cols) {
    int best = 0;
    for (int j = 1; j < cols; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

int cnn_count_correct(cnn_context *ctx, int rows, int cols, const float *scores, int64_t scores_len,
                      const float *targets, int64_t targets_len, int *correct) {
    MATRIX_PROLOGUE(rows, cols);
    CNN_CHECK_BUF(scores, scores_len, count_);
    CNN_CHECK_BUF(targets, targets_len, count_);
    CNN_CHECK_PTR(correct);
    int n = 0;
    for (int r = 0; r < rows; r++)
        if (arg_max(scores + (ptrdiff_t)r * cols, cols) == arg_max(targets + (ptrdiff_t)r * cols, cols)) n++;
    *correct = n;
    return CNN_OK;
}
