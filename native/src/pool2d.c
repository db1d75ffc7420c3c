/* pool2d.c: max and average pooling (no padding), forward and backward, a range of (n, c) planes per task.
 * Semantics follow the reference exactly: max propagates NaN, average sums in double and divides by r*s,
 * backward max routes to the first maximum in row-major window order, overlapping windows add in (p, q) order.
 *
 * The common windows, 2x2 and 3x3 with stride 2, run on AVX2 vectors of 8 outputs (masked loads and stores for
 * the last ones of a row) and give the same bits as the plain loops every other window takes:
 *  - max: the reference's step "m = v when v > m or v is NaN" is an associative combination of the earlier
 *    value with the later one (the last NaN wins, else the first maximum), so it is applied in the same row-major
 *    order to whole vectors: blend(max(v, m), v, isnan(v));
 *  - average: 0.0 plus the window's values in row-major order, in double, divided by r*s, four outputs per vector;
 *  - backward: each position's contribution (dy at the first maximum, 0 elsewhere; or dy / (r*s)) is added to dx
 *    in (p, q) order: for 3x3 windows a column 2q shared by windows q-1 and q gets q-1's share first (adding 0 is
 *    exact: dx starts at +0 and a sum from +0 is never -0). */
#include "internal.h"
#include <immintrin.h>
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

/* The op's arguments for a range of (n, c) planes: x and y for forward; x, dy (as y) and dx for backward. */
typedef struct { const cnn_pool2d_geometry *g; int mode, p, q; const float *x, *dy; float *y; } pool_args;

/* ------------------------------------------------------------------------------------- any window */

static void forward_plane(const pool_args *a, const float *xp, float *yp) {
    const int W = a->g->w, R = a->g->r, S = a->g->s, SH = a->g->stride_h, SW = a->g->stride_w, P = a->p, Q = a->q;
    for (int p = 0; p < P; p++)
        for (int q = 0; q < Q; q++) {
            const float *win = xp + (ptrdiff_t)p * SH * W + q * SW;
            if (a->mode == CNN_POOL_MAX) {
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

/* dx (already zero) += the gradient of one plane. */
static void backward_plane(const pool_args *a, const float *xp, const float *dyp, float *dxp) {
    const int W = a->g->w, R = a->g->r, S = a->g->s, SH = a->g->stride_h, SW = a->g->stride_w, P = a->p, Q = a->q;
    for (int p = 0; p < P; p++)
        for (int q = 0; q < Q; q++) {
            float d = dyp[p * Q + q];
            ptrdiff_t w0 = (ptrdiff_t)p * SH * W + q * SW;
            if (a->mode == CNN_POOL_AVERAGE) {
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

/* ------------------------------------------------------------- 2x2 and 3x3 windows, stride 2, vectors */

/* Lanes [0, n) of a mask (n clamped to 0..8): masked loads read nothing, and masked stores write nothing, past them. */
static inline __m256i lanes(int n) {
    static const int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    n = n < 0 ? 0 : n > 8 ? 8 : n;
    return _mm256_loadu_si256((const __m256i *)(table + 8 - n));
}
static inline __m256 load_n(const float *p, int n) { return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes(n)); }
static inline void store_n(float *p, __m256 v, int n) {
    if (n >= 8) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, lanes(n), v);
}
static inline void add_n(float *p, __m256 v, int n) { store_n(p, _mm256_add_ps(load_n(p, n), v), n); }

/* The even and the odd elements of x[0..16) (`count` of them valid): x[2q] and x[2q+1] for q = 0..7. */
static inline void load_pairs(const float *x, int count, __m256 *even, __m256 *odd) {
    __m256 lo = load_n(x, count), hi = load_n(x + 8, count - 8);
    /* within 128-bit halves: [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6], then the 64-bit quarters in order 0 2 1 3 */
    __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)), o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* [a0 b0 a1 b1 ... a7 b7] as two vectors: the inverse of load_pairs. */
static inline void interleave(__m256 a, __m256 b, __m256 *lo, __m256 *hi) {
    __m256 l = _mm256_unpacklo_ps(a, b), h = _mm256_unpackhi_ps(a, b);
    *lo = _mm256_permute2f128_ps(l, h, 0x20);
    *hi = _mm256_permute2f128_ps(l, h, 0x31);
}

/* One window row of 8 outputs starting at x: col[s][q] = x[2q + s] for s < k (k = 2 or 3); `n` outputs valid. */
static inline void load_window_row(const float *x, int k, int n, __m256 col[3]) {
    load_pairs(x, 2 * n, &col[0], &col[1]);
    if (k == 3) {
        /* x[2q + 2] is the next output's x[2q]: the even lanes rotated by one, the last one read on its own */
        __m256 next = _mm256_permutevar8x32_ps(col[0], _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7));
        __m256 last = _mm256_castsi256_ps(_mm256_xor_si256(lanes(n), lanes(n - 1)));
        col[2] = _mm256_blendv_ps(next, _mm256_broadcast_ss(x + 2 * n), last);
    }
}

/* The reference's max step: the later value v replaces m when v > m or v is NaN. */
static inline __m256 later_max(__m256 m, __m256 v) {
    return _mm256_blendv_ps(_mm256_max_ps(v, m), v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

/* y[0..n) for the k x k windows whose top-left corners are x[2q] (rows W apart). */
static inline __attribute__((always_inline)) void forward_block(const float *x, int W, int k, int mode, int n, float *y) {
    __m256 col[3];
    if (mode == CNN_POOL_MAX) {
        __m256 m = _mm256_setzero_ps();
        for (int r = 0; r < k; r++) {
            load_window_row(x + (ptrdiff_t)r * W, k, n, col);
            for (int s = 0; s < k; s++) m = r == 0 && s == 0 ? col[0] : later_max(m, col[s]);
        }
        store_n(y, m, n);
    } else {
        __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
        for (int r = 0; r < k; r++) {
            load_window_row(x + (ptrdiff_t)r * W, k, n, col);
            for (int s = 0; s < k; s++) {
                lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(col[s])));
                hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(col[s], 1)));
            }
        }
        __m256d area = _mm256_set1_pd((double)(k * k));
        __m128 ylo = _mm256_cvtpd_ps(_mm256_div_pd(lo, area)), yhi = _mm256_cvtpd_ps(_mm256_div_pd(hi, area));
        store_n(y, _mm256_insertf128_ps(_mm256_castps128_ps256(ylo), yhi, 1), n);
    }
}

/* dx += the gradient of n windows (k x k, corners dx[2q]) from dy[0..n); x holds the forward input for max. For 2x2
 * windows dx need not be zero (each element is written once). */
static inline __attribute__((always_inline)) void backward_block(const float *x, const float *dy, int W, int k, int mode, int n, float *dx) {
    __m256 d = load_n(dy, n), part[3][3];
    if (mode == CNN_POOL_AVERAGE) {
        __m256 share = _mm256_div_ps(d, _mm256_set1_ps((float)(k * k)));
        for (int r = 0; r < k; r++)
            for (int s = 0; s < k; s++) part[r][s] = share;
    } else {
        /* The first position holding the window's maximum, in row-major order (NaN is never greater). */
        __m256 best = _mm256_setzero_ps(), which = _mm256_setzero_ps(), col[3];
        for (int r = 0; r < k; r++) {
            load_window_row(x + (ptrdiff_t)r * W, k, n, col);
            for (int s = 0; s < k; s++) {
                if (r == 0 && s == 0) { best = col[0]; continue; }
                __m256 greater = _mm256_cmp_ps(col[s], best, _CMP_GT_OQ);
                best = _mm256_blendv_ps(best, col[s], greater);
                which = _mm256_blendv_ps(which, _mm256_set1_ps((float)(r * k + s)), greater);
            }
        }
        for (int r = 0; r < k; r++)
            for (int s = 0; s < k; s++)
                part[r][s] = _mm256_and_ps(_mm256_cmp_ps(which, _mm256_set1_ps((float)(r * k + s)), _CMP_EQ_OQ), d);
    }
    for (int r = 0; r < k; r++) {
        float *row = dx + (ptrdiff_t)r * W;
        __m256 lo, hi;
        if (k == 3) {
            /* column 2q+2 of window q comes before column 2(q+1) of window q+1; the odd lanes add zeros */
            interleave(part[r][2], _mm256_setzero_ps(), &lo, &hi);
            add_n(row + 2, lo, 2 * n - 1);
            add_n(row + 10, hi, 2 * n - 9);
        }
        interleave(part[r][0], part[r][1], &lo, &hi);
        if (k == 2) {
            /* 2x2 windows with stride 2 do not overlap: dx = 0 + part (the reference's += on a zeroed dx) */
            store_n(row, _mm256_add_ps(_mm256_setzero_ps(), lo), 2 * n);
            store_n(row + 8, _mm256_add_ps(_mm256_setzero_ps(), hi), 2 * n - 8);
        } else {
            add_n(row, lo, 2 * n);
            add_n(row + 8, hi, 2 * n - 8);
        }
    }
}

/* Whether the plane runs on vectors: a square 2x2 or 3x3 window with stride 2. */
static int vector_window(const cnn_pool2d_geometry *g) {
    return g->r == g->s && (g->r == 2 || g->r == 3) && g->stride_h == 2 && g->stride_w == 2;
}

/* Whole blocks of 8 first (n a constant there, so the loads and stores need no masks), then the row's last outputs. */
static void forward_plane_vector(const pool_args *a, const float *xp, float *yp) {
    const int W = a->g->w, k = a->g->r, Q = a->q;
    for (int p = 0; p < a->p; p++) {
        const float *x = xp + (ptrdiff_t)2 * p * W;
        float *y = yp + (ptrdiff_t)p * Q;
        int q = 0;
        for (; q + 8 <= Q; q += 8) forward_block(x + 2 * q, W, k, a->mode, 8, y + q);
        if (q < Q) forward_block(x + 2 * q, W, k, a->mode, Q - q, y + q);
    }
}

/* dx (zeroed where no window or more than one window reaches) = the gradient of one plane. */
static void backward_plane_vector(const pool_args *a, const float *xp, const float *dyp, float *dxp) {
    const int H = a->g->h, W = a->g->w, k = a->g->r;
    if (k == 3) {
        memset(dxp, 0, sizeof(float) * (size_t)H * W);
    } else {
        /* only the last row and column can be outside every 2x2 window (odd sizes) */
        for (int h = 2 * a->p; h < H; h++) memset(dxp + (ptrdiff_t)h * W, 0, sizeof(float) * (size_t)W);
        for (int h = 0; h < 2 * a->p && 2 * a->q < W; h++) dxp[(ptrdiff_t)h * W + W - 1] = 0.0f;
    }
    const int Q = a->q;
    for (int p = 0; p < a->p; p++) {
        const float *x = xp + (ptrdiff_t)2 * p * W, *dy = dyp + (ptrdiff_t)p * Q;
        float *dx = dxp + (ptrdiff_t)2 * p * W;
        int q = 0;
        for (; q + 8 <= Q; q += 8) backward_block(x + 2 * q, dy + q, W, k, a->mode, 8, dx + 2 * q);
        if (q < Q) backward_block(x + 2 * q, dy + q, W, k, a->mode, Q - q, dx + 2 * q);
    }
}

/* ------------------------------------------------------------------------------------------ planes */

static void forward_range(const void *arg, int64_t begin, int64_t end) {
    const pool_args *a = (const pool_args *)arg;
    int64_t in_plane = (int64_t)a->g->h * a->g->w, out_plane = (int64_t)a->p * a->q;
    int vector = vector_window(a->g);
    for (int64_t nc = begin; nc < end; nc++) {
        if (vector) forward_plane_vector(a, a->x + nc * in_plane, a->y + nc * out_plane);
        else forward_plane(a, a->x + nc * in_plane, a->y + nc * out_plane);
    }
}

static void backward_range(const void *arg, int64_t begin, int64_t end) {
    const pool_args *a = (const pool_args *)arg;
    int64_t in_plane = (int64_t)a->g->h * a->g->w, out_plane = (int64_t)a->p * a->q;
    int vector = vector_window(a->g);
    for (int64_t nc = begin; nc < end; nc++) {
        float *dxp = a->y + nc * in_plane;
        if (vector) {
            backward_plane_vector(a, a->x + nc * in_plane, a->dy + nc * out_plane, dxp);
        } else {
            memset(dxp, 0, sizeof(float) * (size_t)in_plane);
            backward_plane(a, a->x + nc * in_plane, a->dy + nc * out_plane, dxp);
        }
    }
}

/* Planes below which a pooling op stays on the calling thread. */
static int64_t min_parallel_planes(const cnn_pool2d_geometry *g) { return (CNN_PARALLEL_MIN + (int64_t)g->h * g->w - 1) / ((int64_t)g->h * g->w); }

int cnn_pool2d_forward(cnn_context *ctx, const cnn_pool2d_geometry *g, int mode, const float *x, int64_t x_len,
                       float *y, int64_t y_len) {
    POOL_PROLOGUE();
    CNN_CHECK_BUF(x, x_len, in_count);
    CNN_CHECK_BUF(y, y_len, out_count);
    pool_args a = {g, mode, P, Q, x, NULL, y};
    cnn__parallel_range(ctx, planes, min_parallel_planes(g), forward_range, &a);
    return CNN_OK;
}

int cnn_pool2d_backward(cnn_context *ctx, const cnn_pool2d_geometry *g, int mode, const float *x, int64_t x_len,
                        const float *dy, int64_t dy_len, float *dx, int64_t dx_len) {
    POOL_PROLOGUE();
    CNN_CHECK_BUF(x, x_len, in_count);
    CNN_CHECK_BUF(dy, dy_len, out_count);
    CNN_CHECK_BUF(dx, dx_len, in_count);
    pool_args a = {g, mode, P, Q, x, dy, dx};
    cnn__parallel_range(ctx, planes, min_parallel_planes(g), backward_range, &a);
    return CNN_OK;
}
