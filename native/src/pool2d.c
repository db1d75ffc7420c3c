/* pool2d.c: max and average pooling (no padding), forward and backward, one (n, c) plane per task.
 * Semantics follow the reference exactly: max propagates NaN, average sums in double and divides by r*s,
 * backward max routes to the first maximum in row-major window order, overlapping windows add in (p, q) order. */
#include "internal.h"
#include <math.h>
#include <string.h>

static int check_geom(const cnn_pool2d_geometry *g) {
    if (g->n <= 0 || g->c <= 0 || g->h <= 0 || g->w <= 0 || g->r <= 0 || g->s <= 0) return CNN_E_INVALID_SIZE;
    if (g->stride_h <= 0 || g->stride_w <= 0 || g->r > g->h || g->s > g->w) return CNN_E_INVALID_SIZE;
    return CNN_OK;
}

#define POOL_PROLOGUE()                                                                  \
    CNN_CHECK_CTX(ctx);                                                                  \
    CNN_CHECK_PTR(g);                                                                    \
    int st_ = check_geom(g);                                                             \
    if (st_ != CNN_OK) return st_;                                                       \
    CNN_CHECK_ARG(mode == CNN_POOL_MAX || mode == CNN_POOL_AVERAGE);                     \
    int P = (g->h - g->r) / g->stride_h + 1, Q = (g->w - g->s) / g->stride_w + 1;        \
    int64_t planes = (int64_t)g->n * g->c;                                               \
    int64_t in_count = planes * g->h * g->w, out_count = planes * P * Q

int cnn_pool2d_forward(cnn_context *ctx, const cnn_pool2d_geometry *g, int mode, const float *x, int64_t x_len,
                       float *y, int64_t y_len) {
    POOL_PROLOGUE();
    CNN_CHECK_BUF(x, x_len, in_count);
    CNN_CHECK_BUF(y, y_len, out_count);
    const int H = g->h, W = g->w, R = g->r, S = g->s, SH = g->stride_h, SW = g->stride_w;
#pragma omp parallel for schedule(static) num_threads(ctx->threads) if (in_count >= CNN_PARALLEL_MIN)
    for (int64_t nc = 0; nc < planes; nc++) {
        const float *xp = x + nc * H * W;
        float *yp = y + nc * P * Q;
        for (int p = 0; p < P; p++)
            for (int q = 0; q < Q; q++) {
                const float *win = xp + (ptrdiff_t)p * SH * W + q * SW;
                if (mode == CNN_POOL_MAX) {
                    float m = -INFINITY;
                    for (int r = 0; r < R; r++)
                        for (int s = 0; s < S; s++) {
                            float v = win[r * W + s];
                            if (v > m || isnan(v)) m = v;
                        }
                    yp[p * Q + q] = m;
                } else {
                    double acc = 0.0;
                    for (int r = 0; r < R; r++)
                        for (int s = 0; s < S; s++) acc += win[r * W + s];
                    yp[p * Q + q] = (float)(acc / (R * S));
                }
            }
    }
    return CNN_OK;
}

int cnn_pool2d_backward(cnn_context *ctx, const cnn_pool2d_geometry *g, int mode, const float *x, int64_t x_len,
                        const float *dy, int64_t dy_len, float *dx, int64_t dx_len) {
    POOL_PROLOGUE();
    CNN_CHECK_BUF(x, x_len, in_count);
    CNN_CHECK_BUF(dy, dy_len, out_count);
    CNN_CHECK_BUF(dx, dx_len, in_count);
    const int H = g->h, W = g->w, R = g->r, S = g->s, SH = g->stride_h, SW = g->stride_w;
#pragma omp parallel for schedule(static) num_threads(ctx->threads) if (in_count >= CNN_PARALLEL_MIN)
    for (int64_t nc = 0; nc < planes; nc++) {
        const float *xp = x + nc * H * W;
        const float *dyp = dy + nc * P * Q;
        float *dxp = dx + nc * H * W;
        memset(dxp, 0, sizeof(float) * (size_t)H * W);
        for (int p = 0; p < P; p++)
            for (int q = 0; q < Q; q++) {
                float d = dyp[p * Q + q];
                ptrdiff_t w0 = (ptrdiff_t)p * SH * W + q * SW;
                if (mode == CNN_POOL_AVERAGE) {
                    float share = d / (R * S);
                    for (int r = 0; r < R; r++)
                        for (int s = 0; s < S; s++) dxp[w0 + r * W + s] += share;
                } else {
                    ptrdiff_t best = w0;
                    for (int r = 0; r < R; r++)
                        for (int s = 0; s < S; s++) {
                            ptrdiff_t i = w0 + r * W + s;
                            if (xp[i] > xp[best]) best = i;
                        }
                    dxp[best] += d;
                }
            }
    }
    return CNN_OK;
}
