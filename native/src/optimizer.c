/* optimizer.c: SGD (momentum, Nesterov, L2 weight decay) and Adam steps, element-wise in the reference's precision
 * and order (bit-identical results), split across threads for large parameter tensors. */
#include "internal.h"
#include <math.h>

typedef struct { float *param; const float *grad; float *velocity; float lr, momentum, weight_decay; int nesterov; } sgd_args;

static void sgd_range(const void *p, int64_t begin, int64_t end) {
    const sgd_args *a = (const sgd_args *)p;
    float *param = a->param, *velocity = a->velocity;
    const float *grad = a->grad;
    float lr = a->lr, momentum = a->momentum, weight_decay = a->weight_decay;
    int nesterov = a->nesterov;
    for (int64_t i = begin; i < end; i++) {
        float g = grad[i] + weight_decay * param[i];
        if (momentum != 0.0f) {
            velocity[i] = momentum * velocity[i] + g;
            g = nesterov ? g + momentum * velocity[i] : velocity[i];
        }
        param[i] -= lr * g;
    }
}

int cnn_sgd_step(cnn_context *ctx, int64_t length, float *param, int64_t param_len, const float *grad, int64_t grad_len,
                 float *velocity, int64_t velocity_len, float lr, float momentum, float weight_decay, int nesterov) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(length >= 0);
    CNN_CHECK_BUF(param, param_len, length);
    CNN_CHECK_BUF(grad, grad_len, length);
    if (momentum != 0.0f) CNN_CHECK_BUF(velocity, velocity_len, length);
    sgd_args a = {param, grad, velocity, lr, momentum, weight_decay, nesterov};
    cnn__parallel_range(ctx, length, CNN_PARALLEL_MIN, sgd_range, &a);
    return CNN_OK;
}

typedef struct { float *param; const float *grad; float *m, *v; float lr, beta1, beta2, eps, weight_decay; double c1, c2; } adam_args;

static void adam_range(const void *p, int64_t begin, int64_t end) {
    const adam_args *a = (const adam_args *)p;
    float *param = a->param, *m = a->m, *v = a->v;
    const float *grad = a->grad;
    float lr = a->lr, beta1 = a->beta1, beta2 = a->beta2, eps = a->eps, weight_decay = a->weight_decay;
    double c1 = a->c1, c2 = a->c2;
    for (int64_t i = begin; i < end; i++) {
        float g = grad[i] + weight_decay * param[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        double mhat = m[i] / c1, vhat = v[i] / c2;
        param[i] -= (float)(lr * mhat / (sqrt(vhat) + eps));
    }
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
    adam_args a = {param, grad, m, v, lr, beta1, beta2, eps, weight_decay,
                   1.0 - pow((double)beta1, step), 1.0 - pow((double)beta2, step)};
    /* double division and square root per element: worth splitting sooner than a copy */
    cnn__parallel_range(ctx, length, CNN_PARALLEL_MIN / 4, adam_range, &a);
    return CNN_OK;
}
