/* conv2d.c: 2-D convolution forward, backward-data and backward-filter as implicit GEMM.
 *
 * Forward, per image:   Y (K x PQ)   = W (K x CRS) . col(x) (CRS x PQ)      col packed straight from x
 * Backward data:        stride 1:    dx = forward conv of dy with the filters flipped and transposed (C x K x R x S)
 *                                     and padding R-1-pad, so it runs on the same fast path;
 *                       other strides: col = W^T . dy per image, then scattered back (col2im).
 * Backward filter:      dW (K x CRS) += dy (K x PQ) . col(x)^T (PQ x CRS), summed over images; each thread sums
 *                       its images into a private copy, the copies are added to dw in thread order (deterministic). */
#include "internal.h"
#include <string.h>

/* Geometry in the form the kernels use (pads may be negative for the flipped backward-data convolution). */
typedef struct {
    int n, c, h, w, k, r, s, sh, sw, ph, pw, p, q;
} geom;

static int out_size(int size, int kernel, int stride, int pad) {
    int64_t span = (int64_t)size - kernel + 2 * (int64_t)pad;
    return span < 0 ? 0 : (int)(span / stride + 1);
}

static int make_geom(const cnn_conv2d_geometry *g, geom *o) {
    if (g->n <= 0 || g->c <= 0 || g->h <= 0 || g->w <= 0 || g->k <= 0 || g->r <= 0 || g->s <= 0) return CNN_E_INVALID_SIZE;
    if (g->stride_h <= 0 || g->stride_w <= 0 || g->pad_h < 0 || g->pad_w < 0) return CNN_E_INVALID_SIZE;
    o->n = g->n; o->c = g->c; o->h = g->h; o->w = g->w; o->k = g->k; o->r = g->r; o->s = g->s;
    o->sh = g->stride_h; o->sw = g->stride_w; o->ph = g->pad_h; o->pw = g->pad_w;
    o->p = out_size(g->h, g->r, g->stride_h, g->pad_h);
    o->q = out_size(g->w, g->s, g->stride_w, g->pad_w);
    if (o->p <= 0 || o->q <= 0) return CNN_E_INVALID_SIZE;
    /* The GEMM dimensions are int. */
    if ((int64_t)o->c * o->r * o->s > INT32_MAX || (int64_t)o->p * o->q > INT32_MAX) return CNN_E_INVALID_SIZE;
    return CNN_OK;
}

static int64_t in_len(const geom *g) { return (int64_t)g->n * g->c * g->h * g->w; }
static int64_t filt_len(const geom *g) { return (int64_t)g->k * g->c * g->r * g->s; }
static int64_t out_len(const geom *g) { return (int64_t)g->n * g->k * g->p * g->q; }

/* Writes `count` values of the im2col row for filter tap (r, s) of one input plane, for the output positions
 * starting at (p, q) in row-major order, to dst[0], dst[stride], ... Walks output rows so that each run along q
 * reads the input row contiguously (stride 1) and writes zeros where the tap falls in the padding. */
static void im2col_run(const float *restrict plane, const geom *g, int r, int s, int p, int q, int count,
                       float *restrict dst, ptrdiff_t stride) {
    while (count > 0) {
        int len = g->q - q < count ? g->q - q : count;
        int h = p * g->sh - g->ph + r;
        if (h < 0 || h >= g->h) {
            for (int i = 0; i < len; i++) dst[i * stride] = 0.0f;
        } else {
            const float *row = plane + (ptrdiff_t)h * g->w;
            int w0 = q * g->sw - g->pw + s;
            if (g->sw == 1) {
                /* Valid taps are the run [lo, hi); zeros on either side. */
                int lo = w0 < 0 ? -w0 : 0;
                int hi = g->w - w0 < len ? g->w - w0 : len;
                if (hi < lo) hi = lo;
                if (lo > len) lo = hi = len;
                int i = 0;
                for (; i < lo; i++) dst[i * stride] = 0.0f;
                if (stride == 1) {
                    for (; i < hi; i++) dst[i] = row[w0 + i];
                } else {
                    for (; i < hi; i++) dst[i * stride] = row[w0 + i];
                }
                for (; i < len; i++) dst[i * stride] = 0.0f;
            } else {
                for (int i = 0; i < len; i++) {
                    int wi = w0 + i * g->sw;
                    dst[i * stride] = (unsigned)wi < (unsigned)g->w ? row[wi] : 0.0f;
                }
            }
        }
        dst += (ptrdiff_t)len * stride;
        count -= len;
        p++;
        q = 0;
    }
}

/* op(B) = col(x) of one image: depth = (c, r, s), columns = output positions (offset by j_base). */
typedef struct { const geom *g; const float *x; int j_base; } col_source;

static void pack_b_col(const void *self, int p0, int j0, int kc, int nc, float *dst) {
    const col_source *src = (const col_source *)self;
    const geom *g = src->g;
    int rs = g->r * g->s;
    for (int jr = 0; jr < nc; jr += CNN_NR) {
        int nr = nc - jr < CNN_NR ? nc - jr : CNN_NR;
        int j = src->j_base + j0 + jr;
        int p = j / g->q, q = j % g->q;
        int c = p0 / rs, r = (p0 % rs) / g->s, s = p0 % g->s;
        float *d = dst + (size_t)jr * kc;
        for (int kk = 0; kk < kc; kk++, d += CNN_NR) {
            im2col_run(src->x + (ptrdiff_t)c * g->h * g->w, g, r, s, p, q, nr, d, 1);
            for (int i = nr; i < CNN_NR; i++) d[i] = 0.0f;
            if (++s == g->s) { s = 0; if (++r == g->r) { r = 0; c++; } }
        }
    }
}

/* op(B) = col(x)^T of one image: depth = output positions (offset by p_base), columns = (c, r, s). */
static void pack_b_col_t(const void *self, int p0, int j0, int kc, int nc, float *dst) {
    const col_source *src = (const col_source *)self;
    const geom *g = src->g;
    int rs = g->r * g->s;
    int pos = src->j_base + p0;
    int p = pos / g->q, q = pos % g->q;
    for (int jr = 0; jr < nc; jr += CNN_NR) {
        int nr = nc - jr < CNN_NR ? nc - jr : CNN_NR;
        float *d = dst + (size_t)jr * kc;
        for (int jj = 0; jj < nr; jj++) {
            int col = j0 + jr + jj;
            int c = col / rs, r = (col % rs) / g->s, s = col % g->s;
            im2col_run(src->x + (ptrdiff_t)c * g->h * g->w, g, r, s, p, q, kc, d + jj, CNN_NR);
        }
        for (int kk = 0; kk < kc; kk++)
            for (int jj = nr; jj < CNN_NR; jj++) d[kk * CNN_NR + jj] = 0.0f;
    }
}

/* Splits each image's output positions into `chunks` ranges so that small batches still use every thread. */
static int chunks_per_image(const cnn_context *ctx, const geom *g) {
    int chunks = (ctx->threads + g->n - 1) / g->n;
    int max_chunks = (g->p * g->q + CNN_NR - 1) / CNN_NR;
    return chunks > max_chunks ? max_chunks : chunks < 1 ? 1 : chunks;
}

static void chunk_range(int total, int chunks, int i, int *lo, int *hi) {
    int units = (total + CNN_NR - 1) / CNN_NR;
    int u0 = (int)((int64_t)units * i / chunks), u1 = (int)((int64_t)units * (i + 1) / chunks);
    *lo = u0 * CNN_NR;
    *hi = u1 * CNN_NR < total ? u1 * CNN_NR : total;
}

/* y = conv(x, w) + bias for a validated geometry whose filters w are K x (C R S) row-major. */
static int forward_core(cnn_context *ctx, const geom *g, const float *x, const float *w, const float *bias, float *y) {
    int st = cnn__reserve(ctx, CNN_GEMM_WS, 0);
    if (st != CNN_OK) return st;
    int pq = g->p * g->q, crs = g->c * g->r * g->s;
    int chunks = chunks_per_image(ctx, g);
    int tasks = g->n * chunks;
    cnn_matrix wm = {w, crs, 0};
#pragma omp parallel for schedule(dynamic, 1) num_threads(ctx->threads) if (tasks > 1)
    for (int t = 0; t < tasks; t++) {
        int n = t / chunks, lo, hi;
        chunk_range(pq, chunks, t % chunks, &lo, &hi);
        if (lo >= hi) continue;
        col_source src = {g, x + (ptrdiff_t)n * g->c * g->h * g->w, lo};
        float *yn = y + (ptrdiff_t)n * g->k * pq;
        cnn__gemm_blocked(g->k, hi - lo, crs, 1.0f, cnn__pack_a_matrix, &wm, pack_b_col, &src, 0.0f, yn + lo, pq,
                          cnn__thread_ws(ctx, cnn__thread_id()));
        if (bias != NULL)
            for (int k = 0; k < g->k; k++) {
                float b = bias[k];
                float *row = yn + (ptrdiff_t)k * pq;
                for (int j = lo; j < hi; j++) row[j] += b;
            }
    }
    return CNN_OK;
}

int cnn_conv2d_forward(cnn_context *ctx, const cnn_conv2d_geometry *gp, const float *x, int64_t x_len,
                       const float *w, int64_t w_len, const float *bias, int64_t bias_len, float *y, int64_t y_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_PTR(gp);
    geom g;
    int st = make_geom(gp, &g);
    if (st != CNN_OK) return st;
    CNN_CHECK_BUF(x, x_len, in_len(&g));
    CNN_CHECK_BUF(w, w_len, filt_len(&g));
    if (bias != NULL) CNN_CHECK_LEN(bias_len, g.k);
    CNN_CHECK_BUF(y, y_len, out_len(&g));
    return forward_core(ctx, &g, x, w, bias, y);
}

/* Stride 1: dx[n,c,h,w] = sum_k,r,s dy[n,k,h+ph-r,w+pw-s] w[k,c,r,s] is a forward convolution of dy (K channels,
 * P x Q) with filters w'[c,k,r',s'] = w[k,c,R-1-r',S-1-s'] and padding R-1-ph, S-1-pw (negative when the
 * forward padding exceeds R-1: then the output simply never reaches those rows). */
static int backward_data_flipped(cnn_context *ctx, const geom *g, const float *dy, const float *w, float *dx) {
    size_t wlen = (size_t)filt_len(g);
    int st = cnn__reserve(ctx, CNN_GEMM_WS, wlen);
    if (st != CNN_OK) return st;
    float *wf = cnn__shared_ws(ctx);
    int rs = g->r * g->s;
    for (int k = 0; k < g->k; k++)
        for (int c = 0; c < g->c; c++)
            for (int i = 0; i < rs; i++)
                wf[((size_t)c * g->k + k) * rs + (rs - 1 - i)] = w[((size_t)k * g->c + c) * rs + i];
    geom f = {.n = g->n, .c = g->k, .h = g->p, .w = g->q, .k = g->c, .r = g->r, .s = g->s, .sh = 1, .sw = 1,
              .ph = g->r - 1 - g->ph, .pw = g->s - 1 - g->pw, .p = g->h, .q = g->w};
    return forward_core(ctx, &f, dy, wf, NULL, dx);
}

/* Any stride: per image, col = W^T dy (CRS x PQ) into the thread's workspace, then scatter-add into dx. */
static int backward_data_col2im(cnn_context *ctx, const geom *g, const float *dy, const float *w, float *dx) {
    int pq = g->p * g->q, crs = g->c * g->r * g->s;
    int st = cnn__reserve(ctx, CNN_GEMM_WS + (size_t)crs * pq, 0);
    if (st != CNN_OK) return st;
    cnn_matrix wt = {w, crs, 1};
#pragma omp parallel for schedule(dynamic, 1) num_threads(ctx->threads) if (g->n > 1)
    for (int n = 0; n < g->n; n++) {
        float *ws = cnn__thread_ws(ctx, cnn__thread_id());
        float *col = ws + CNN_GEMM_WS;
        cnn_matrix dym = {dy + (ptrdiff_t)n * g->k * pq, pq, 0};
        cnn__gemm_blocked(crs, pq, g->k, 1.0f, cnn__pack_a_matrix, &wt, cnn__pack_b_matrix, &dym, 0.0f, col, pq, ws);
        float *dxn = dx + (ptrdiff_t)n * g->c * g->h * g->w;
        memset(dxn, 0, sizeof(float) * (size_t)g->c * g->h * g->w);
        for (int c = 0; c < g->c; c++)
            for (int r = 0; r < g->r; r++)
                for (int s = 0; s < g->s; s++) {
                    const float *crow = col + ((size_t)(c * g->r + r) * g->s + s) * pq;
                    float *plane = dxn + (ptrdiff_t)c * g->h * g->w;
                    for (int p = 0; p < g->p; p++) {
                        int h = p * g->sh - g->ph + r;
                        if ((unsigned)h >= (unsigned)g->h) continue;
                        for (int q = 0; q < g->q; q++) {
                            int wi = q * g->sw - g->pw + s;
                            if ((unsigned)wi < (unsigned)g->w) plane[h * g->w + wi] += crow[p * g->q + q];
                        }
                    }
                }
    }
    return CNN_OK;
}

int cnn_conv2d_backward_data(cnn_context *ctx, const cnn_conv2d_geometry *gp, const float *dy, int64_t dy_len,
                             const float *w, int64_t w_len, float *dx, int64_t dx_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_PTR(gp);
    geom g;
    int st = make_geom(gp, &g);
    if (st != CNN_OK) return st;
    CNN_CHECK_BUF(dy, dy_len, out_len(&g));
    CNN_CHECK_BUF(w, w_len, filt_len(&g));
    CNN_CHECK_BUF(dx, dx_len, in_len(&g));
    /* The flipped convolution's GEMM has only C rows: with few input channels (a first layer) the 6-row register
     * tile would be mostly padding and packing would dominate, so those take the col2im route instead. */
    if (g.sh == 1 && g.sw == 1 && g.c >= 16 && (int64_t)g.k * g.r * g.s <= INT32_MAX)
        return backward_data_flipped(ctx, &g, dy, w, dx);
    return backward_data_col2im(ctx, &g, dy, w, dx);
}

int cnn_conv2d_backward_filter(cnn_context *ctx, const cnn_conv2d_geometry *gp, const float *x, int64_t x_len,
                               const float *dy, int64_t dy_len, float *dw, int64_t dw_len, float *db, int64_t db_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_PTR(gp);
    geom g;
    int st = make_geom(gp, &g);
    if (st != CNN_OK) return st;
    CNN_CHECK_BUF(x, x_len, in_len(&g));
    CNN_CHECK_BUF(dy, dy_len, out_len(&g));
    CNN_CHECK_BUF(dw, dw_len, filt_len(&g));
    if (db != NULL) CNN_CHECK_LEN(db_len, g.k);
    int pq = g.p * g.q, crs = g.c * g.r * g.s;
    size_t flen = (size_t)filt_len(&g);
    st = cnn__reserve(ctx, CNN_GEMM_WS + flen, 0);
    if (st != CNN_OK) return st;
    int chunks = chunks_per_image(ctx, &g);
    int tasks = g.n * chunks;
    int threads = ctx->threads < tasks ? ctx->threads : tasks;
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        int t = cnn__thread_id();
        float *ws = cnn__thread_ws(ctx, t);
        float *partial = ws + CNN_GEMM_WS;
        memset(partial, 0, sizeof(float) * flen);
#pragma omp for schedule(static)
        for (int task = 0; task < tasks; task++) {
            int n = task / chunks, lo, hi;
            chunk_range(pq, chunks, task % chunks, &lo, &hi);
            if (lo >= hi) continue;
            cnn_matrix dym = {dy + (ptrdiff_t)n * g.k * pq + lo, pq, 0};
            col_source src = {&g, x + (ptrdiff_t)n * g.c * g.h * g.w, lo};
            cnn__gemm_blocked(g.k, crs, hi - lo, 1.0f, cnn__pack_a_matrix, &dym, pack_b_col_t, &src, 1.0f, partial, crs, ws);
        }
        /* Implicit barrier above; now every partial is complete. Add them in thread order. */
        int nt = 1;
#ifdef _OPENMP
        nt = omp_get_num_threads();
#endif
#pragma omp for schedule(static)
        for (size_t i = 0; i < flen; i++) {
            float sum = 0.0f;
            for (int u = 0; u < nt; u++) sum += cnn__thread_ws(ctx, u)[CNN_GEMM_WS + i];
            dw[i] += sum;
        }
        if (db != NULL) {
#pragma omp for schedule(static)
            for (int k = 0; k < g.k; k++) {
                double bsum = 0.0;
                for (int n = 0; n < g.n; n++) {
                    const float *row = dy + ((ptrdiff_t)n * g.k + k) * pq;
                    for (int i = 0; i < pq; i++) bsum += row[i];
                }
                db[k] += (float)bsum;
            }
        }
    }
    return CNN_OK;
}
