/* batchnorm.c: batch normalization per channel, forward (batch or running statistics) and backward, one channel per task.
 * Legend: N batch, C channels, S spatial positions per channel and sample (H*W; 1 after a dense layer), M = N*S values
 * per channel; element (i, c, s) at (i*C + c)*S + s.
 * Each channel's sums run in double in an order fixed by the sizes (AVX2 lanes over each plane's positions, plane after
 * plane, then the lanes and the plane tails; with S = 1 the plain in-order sum), so the result does not depend on the
 * thread count. The element-wise passes run in float with per-channel coefficients computed in double. Each op's
 * arguments travel in a bn_args to a task that handles one channel (for_each_channel). */
#include "internal.h"
#include <immintrin.h>
#include <math.h>

#define BN_PROLOGUE()                                              \
    CNN_CHECK_CTX(ctx);                                            \
    CNN_CHECK_SIZE(n >= 0 && channels >= 0 && spatial >= 0);       \
    const int64_t count = (int64_t)n * channels * spatial;         \
    const int64_t stride = (int64_t)channels * spatial;            \
    const int64_t m = (int64_t)n * spatial

/* The four lanes of v added pairwise. */
static double hsum(__m256d v) {
    double l[4];
    _mm256_storeu_pd(l, v);
    return (l[0] + l[1]) + (l[2] + l[3]);
}

/* Over one channel (n planes of `spatial` values, `stride` apart), in one pass: *single = sum of (a - sa) and, when b
 * is given, *product = sum of (a - sa)*(b - sb). AVX2 lanes over each plane's positions (8 floats widened to two
 * vectors of 4 doubles), then the lanes, then the planes' tails. */
static void channel_sums(const float *a, double sa, const float *b, double sb, int n, int64_t stride, int spatial,
                         double *single, double *product) {
    const __m256d va = _mm256_set1_pd(sa), vb = _mm256_set1_pd(sb);
    __m256d s_lo = _mm256_setzero_pd(), s_hi = _mm256_setzero_pd(), p_lo = _mm256_setzero_pd(), p_hi = _mm256_setzero_pd();
    double s_tail = 0, p_tail = 0;
    for (int i = 0; i < n; i++) {
        const float *pa = a + i * stride;
        const float *pb = b != NULL ? b + i * stride : NULL;
        int s = 0;
        for (; s + 8 <= spatial; s += 8) {
            __m256 fa = _mm256_loadu_ps(pa + s);
            __m256d a_lo = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(fa)), va);
            __m256d a_hi = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(fa, 1)), va);
            s_lo = _mm256_add_pd(s_lo, a_lo);
            s_hi = _mm256_add_pd(s_hi, a_hi);
            if (pb == NULL) continue;
            __m256 fb = _mm256_loadu_ps(pb + s);
            p_lo = _mm256_add_pd(p_lo, _mm256_mul_pd(a_lo, _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(fb)), vb)));
            p_hi = _mm256_add_pd(p_hi, _mm256_mul_pd(a_hi, _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(fb, 1)), vb)));
        }
        for (; s < spatial; s++) {
            double d = (double)pa[s] - sa;
            s_tail += d;
            if (pb != NULL) p_tail += d * ((double)pb[s] - sb);
        }
    }
    *single = hsum(_mm256_add_pd(s_lo, s_hi)) + s_tail;
    if (product != NULL) *product = hsum(_mm256_add_pd(p_lo, p_hi)) + p_tail;
}

/* y = (x - mean)*scale + shift over one channel. */
static void channel_normalize(const float *x, float *y, float mean, float scale, float shift, int n, int64_t stride, int spatial) {
    for (int i = 0; i < n; i++) {
        const float *px = x + i * stride;
        float *py = y + i * stride;
        for (int s = 0; s < spatial; s++) py[s] = (px[s] - mean) * scale + shift;
    }
}

/* Every op's arguments, for its per-channel task (each op uses the fields it names). */
typedef struct {
    int n, spatial;
    int64_t stride, m;
    float eps, momentum;
    const float *x, *dy, *gamma, *beta, *mean, *var_or_inv_std;
    float *y, *dx, *save_mean, *save_inv_std, *running_mean, *running_var, *dgamma, *dbeta;
} bn_args;

/* Runs task(args, c) for every channel: on the context's threads when the op has CNN_PARALLEL_MIN elements or more. */
static void for_each_channel(cnn_context *ctx, int channels, int64_t count, cnn_task_fn task, const bn_args *a) {
    if (count >= CNN_PARALLEL_MIN) cnn__parallel_for(ctx, channels, task, a);
    else
        for (int c = 0; c < channels; c++) task(a, c, 0);
}

static void forward_training_channel(const void *p, int c, int worker) {
    (void)worker;
    const bn_args *a = (const bn_args *)p;
    const int64_t m = a->m;
    const float *xc = a->x + (int64_t)c * a->spatial;
    double sum, zero, squares;
    channel_sums(xc, 0, NULL, 0, a->n, a->stride, a->spatial, &sum, NULL);
    const double mean = sum / m;
    channel_sums(xc, mean, xc, mean, a->n, a->stride, a->spatial, &zero, &squares);
    double inv_std = 1 / sqrt(squares / m + a->eps);
    a->save_mean[c] = (float)mean;
    a->save_inv_std[c] = (float)inv_std;
    /* The unbiased variance, as PyTorch keeps; a lone value per channel has no spread to correct. */
    double unbiased = m > 1 ? squares / (m - 1) : 0;
    a->running_mean[c] = (float)((1 - (double)a->momentum) * a->running_mean[c] + a->momentum * mean);
    a->running_var[c] = (float)((1 - (double)a->momentum) * a->running_var[c] + a->momentum * unbiased);
    channel_normalize(xc, a->y + (int64_t)c * a->spatial, (float)mean, (float)(a->gamma[c] * inv_std), a->beta[c], a->n,
                      a->stride, a->spatial);
}

static void forward_inference_channel(const void *p, int c, int worker) {
    (void)worker;
    const bn_args *a = (const bn_args *)p;
    float scale = (float)(a->gamma[c] / sqrt((double)a->var_or_inv_std[c] + a->eps));
    channel_normalize(a->x + (int64_t)c * a->spatial, a->y + (int64_t)c * a->spatial, a->mean[c], scale, a->beta[c], a->n,
                      a->stride, a->spatial);
}

static void backward_channel(const void *p, int c, int worker) {
    (void)worker;
    const bn_args *a = (const bn_args *)p;
    const int64_t o = (int64_t)c * a->spatial, m = a->m, stride = a->stride;
    const double mean = a->mean[c], inv_std = a->var_or_inv_std[c], g = a->gamma[c];
    /* sum_dy_xmu = sum dy*(x - mean), so sum dy*xhat = sum_dy_xmu*inv_std. dx = ((dy - mean(dy)) - (x - mean)*proj)*scale,
     * PyTorch's form: the cancellation happens before the scaling, and a lone value per channel gets exactly 0. */
    double sum_dy, sum_dy_xmu;
    channel_sums(a->dy + o, 0, a->x + o, mean, a->n, stride, a->spatial, &sum_dy, &sum_dy_xmu);
    a->dbeta[c] += (float)sum_dy;
    a->dgamma[c] += (float)(sum_dy_xmu * inv_std);
    const float scale = (float)(g * inv_std), dy_mean = (float)(sum_dy / m), proj = (float)(sum_dy_xmu * inv_std * inv_std / m);
    const float mf = a->mean[c];
    for (int i = 0; i < a->n; i++) {
        const float *px = a->x + o + i * stride, *pdy = a->dy + o + i * stride;
        float *pdx = a->dx + o + i * stride;
        for (int s = 0; s < a->spatial; s++) pdx[s] = ((pdy[s] - dy_mean) - (px[s] - mf) * proj) * scale;
    }
}

int cnn_batchnorm_forward_training(cnn_context *ctx, int n, int channels, int spatial, float eps, float momentum,
                                   const float *x, int64_t x_len, const float *gamma, int64_t gamma_len,
                                   const float *beta, int64_t beta_len, float *y, int64_t y_len,
                                   float *save_mean, int64_t save_mean_len, float *save_inv_std, int64_t save_inv_std_len,
                                   float *running_mean, int64_t running_mean_len, float *running_var, int64_t running_var_len) {
    BN_PROLOGUE();
    CNN_CHECK_ARG(eps > 0 && isfinite(eps));
    CNN_CHECK_ARG(momentum >= 0 && momentum <= 1);
    CNN_CHECK_BUF(x, x_len, count);
    CNN_CHECK_BUF(gamma, gamma_len, channels);
    CNN_CHECK_BUF(beta, beta_len, channels);
    CNN_CHECK_BUF(y, y_len, count);
    CNN_CHECK_BUF(save_mean, save_mean_len, channels);
    CNN_CHECK_BUF(save_inv_std, save_inv_std_len, channels);
    CNN_CHECK_BUF(running_mean, running_mean_len, channels);
    CNN_CHECK_BUF(running_var, running_var_len, channels);
    if (count == 0) return CNN_OK;
    bn_args a = {.n = n, .spatial = spatial, .stride = stride, .m = m, .eps = eps, .momentum = momentum, .x = x,
                 .gamma = gamma, .beta = beta, .y = y, .save_mean = save_mean, .save_inv_std = save_inv_std,
                 .running_mean = running_mean, .running_var = running_var};
    for_each_channel(ctx, channels, count, forward_training_channel, &a);
    return CNN_OK;
}

int cnn_batchnorm_forward_inference(cnn_context *ctx, int n, int channels, int spatial, float eps,
                                    const float *x, int64_t x_len, const float *gamma, int64_t gamma_len,
                                    const float *beta, int64_t beta_len, const float *running_mean, int64_t running_mean_len,
                                    const float *running_var, int64_t running_var_len, float *y, int64_t y_len) {
    BN_PROLOGUE();
    (void)m;
    CNN_CHECK_ARG(eps > 0 && isfinite(eps));
    CNN_CHECK_BUF(x, x_len, count);
    CNN_CHECK_BUF(gamma, gamma_len, channels);
    CNN_CHECK_BUF(beta, beta_len, channels);
    CNN_CHECK_BUF(running_mean, running_mean_len, channels);
    CNN_CHECK_BUF(running_var, running_var_len, channels);
    CNN_CHECK_BUF(y, y_len, count);
    if (count == 0) return CNN_OK;
    bn_args a = {.n = n, .spatial = spatial, .stride = stride, .eps = eps, .x = x, .gamma = gamma, .beta = beta,
                 .mean = running_mean, .var_or_inv_std = running_var, .y = y};
    for_each_channel(ctx, channels, count, forward_inference_channel, &a);
    return CNN_OK;
}

int cnn_batchnorm_backward(cnn_context *ctx, int n, int channels, int spatial, const float *x, int64_t x_len,
                           const float *dy, int64_t dy_len, const float *gamma, int64_t gamma_len,
                           const float *save_mean, int64_t save_mean_len, const float *save_inv_std, int64_t save_inv_std_len,
                           float *dx, int64_t dx_len, float *dgamma, int64_t dgamma_len, float *dbeta, int64_t dbeta_len) {
    BN_PROLOGUE();
    CNN_CHECK_BUF(x, x_len, count);
    CNN_CHECK_BUF(dy, dy_len, count);
    CNN_CHECK_BUF(gamma, gamma_len, channels);
    CNN_CHECK_BUF(save_mean, save_mean_len, channels);
    CNN_CHECK_BUF(save_inv_std, save_inv_std_len, channels);
    CNN_CHECK_BUF(dx, dx_len, count);
    CNN_CHECK_BUF(dgamma, dgamma_len, channels);
    CNN_CHECK_BUF(dbeta, dbeta_len, channels);
    if (count == 0) return CNN_OK;
    bn_args a = {.n = n, .spatial = spatial, .stride = stride, .m = m, .x = x, .dy = dy, .gamma = gamma, .mean = save_mean,
                 .var_or_inv_std = save_inv_std, .dx = dx, .dgamma = dgamma, .dbeta = dbeta};
    for_each_channel(ctx, channels, count, backward_channel, &a);
    return CNN_OK;
}
