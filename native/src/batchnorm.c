/* batchnorm.c: batch normalization per channel, forward (batch or running statistics) and backward, one channel per task.
 * Legend: N batch, C channels, S spatial positions per channel and sample (H*W; 1 after a dense layer), M = N*S values
 * per channel; element (i, c, s) at (i*C + c)*S + s.
 * Each channel's sums run in double in an order fixed by the sizes (AVX2 lanes over each plane's positions, plane after
 * plane, then the lanes and the plane tails; with S = 1 the plain in-order sum), so the result does not depend on the
 * thread count. The element-wise passes run in float with per-channel coefficients computed in double. */
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
#pragma omp parallel for schedule(static) num_threads(ctx->threads) if (count >= CNN_PARALLEL_MIN)
    for (int c = 0; c < channels; c++) {
        const float *xc = x + (int64_t)c * spatial;
        double sum, zero, squares;
        channel_sums(xc, 0, NULL, 0, n, stride, spatial, &sum, NULL);
        const double mean = sum / m;
        channel_sums(xc, mean, xc, mean, n, stride, spatial, &zero, &squares);
        double inv_std = 1 / sqrt(squares / m + eps);
        save_mean[c] = (float)mean;
        save_inv_std[c] = (float)inv_std;
        /* The unbiased variance, as PyTorch keeps; a lone value per channel has no spread to correct. */
        double unbiased = m > 1 ? squares / (m - 1) : 0;
        running_mean[c] = (float)((1 - (double)momentum) * running_mean[c] + momentum * mean);
        running_var[c] = (float)((1 - (double)momentum) * running_var[c] + momentum * unbiased);
        channel_normalize(xc, y + (int64_t)c * spatial, (float)mean, (float)(gamma[c] * inv_std), beta[c], n, stride, spatial);
    }
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
#pragma omp parallel for schedule(static) num_threads(ctx->threads) if (count >= CNN_PARALLEL_MIN)
    for (int c = 0; c < channels; c++) {
        float scale = (float)(gamma[c] / sqrt((double)running_var[c] + eps));
        channel_normalize(x + (int64_t)c * spatial, y + (int64_t)c * spatial, running_mean[c], scale, beta[c], n, stride, spatial);
    }
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
#pragma omp parallel for schedule(static) num_threads(ctx->threads) if (count >= CNN_PARALLEL_MIN)
    for (int c = 0; c < channels; c++) {
        const int64_t o = (int64_t)c * spatial;
        const double mean = save_mean[c], inv_std = save_inv_std[c], g = gamma[c];
        /* sum_dy_xmu = sum dy*(x - mean), so sum dy*xhat = sum_dy_xmu*inv_std. dx = ((dy - mean(dy)) - (x - mean)*proj)*scale,
         * PyTorch's form: the cancellation happens before the scaling, and a lone value per channel gets exactly 0. */
        double sum_dy, sum_dy_xmu;
        channel_sums(dy + o, 0, x + o, mean, n, stride, spatial, &sum_dy, &sum_dy_xmu);
        dbeta[c] += (float)sum_dy;
        dgamma[c] += (float)(sum_dy_xmu * inv_std);
        const float scale = (float)(g * inv_std), dy_mean = (float)(sum_dy / m), proj = (float)(sum_dy_xmu * inv_std * inv_std / m);
        const float mf = save_mean[c];
        for (int i = 0; i < n; i++) {
            const float *px = x + o + i * stride, *pdy = dy + o + i * stride;
            float *pdx = dx + o + i * stride;
            for (int s = 0; s < spatial; s++) pdx[s] = ((pdy[s] - dy_mean) - (px[s] - mf) * proj) * scale;
        }
    }
    return CNN_OK;
}
