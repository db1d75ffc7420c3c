/* optimizer.c: SGD (momentum, Nesterov, L2 weight decay) and Adam steps, element-wise in the reference's precision
 * and order (bit-identical results), split across threads for large parameter tensors. */
#include "internal.h"
#include <math.h>

int cnn_sgd_step(cnn_context *ctx, int64_t length, float *param, int64_t param_len, const float *grad, int64_t grad_len,
                 float *velocity, int64_t velocity_len, float lr, float momentum, float weight_decay, int nesterov) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(param, param_len, length);
    CNN_CHECK_BUF(grad, grad_len, length);
    if (momentum != 0.0f) CNN_CHECK_BUF(velocity, velocity_len, length);
#pragma omp parallel for schedule(static) num_threads(ctx->threads) if (length >= CNN_PARALLEL_MIN)
    for (int64_t i = 0; i < length; i++) {
        float g = grad[i] + weight_decay * param[i];
        if (momentum != 0.0f) {
            velocity[i] = momentum * velocity[i] + g;
            g = nesterov ? g + momentum * velocity[i] : velocity[i];
        }
        param[i] -= lr * g;
    }
    return CNN_OK;
}

int cnn_adam_step(cnn_context *ctx, int64_t length, float *param, int64_t param_len, const float *grad, int64_t grad_len,
                  float *m, int64_t m_len, float *v, int64_t v_len, float lr, float beta1, float beta2, float eps,
                  float weight_decay, int step) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_ARG(step >= 1);
    CNN_CHECK_BUF(param, param_len, length);
    CNN_CHECK_BUF(grad, grad_len, length);
    CNN_CHECK_BUF(m, m_len, length);
    CNN_CHECK_BUF(v, v_len, length);
    double c1 = 1.0 - pow((double)beta1, step), c2 = 1.0 - pow((double)beta2, step);
#pragma omp parallel for schedule(static) num_threads(ctx->threads) if (length >= CNN_PARALLEL_MIN / 4)
    for (int64_t i = 0; i < length; i++) {
        float g = grad[i] + weight_decay * param[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        double mhat = m[i] / c1, vhat = v[i] / c2;
        param[i] -= (float)(lr * mhat / (sqrt(vhat) + eps));
    }
    return CNN_OK;
}
