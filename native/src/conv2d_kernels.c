/* conv2d_kernels.c: 2-D convolution forward, backward-data and backward-filter as implicit GEMM, compiled once per
 * instruction set (isa.h); conv2d.c checks the arguments and calls these through the context's table.
 *
 * Forward, per image:   Y (K x PQ)   = W (K x CRS) . col(x) (CRS x PQ) + bias   col packed straight from x, the bias
 *                                     added as the GEMM stores its first depth block
 * Backward data:        stride 1:    dx = forward conv of dy with the filters flipped and transposed (C x K x R x S)
 *                                     and padding R-1-pad, so it runs on the same fast path;
 *                       other strides: col = W^T . dy per image, then scattered back (col2im).
 * Backward filter:      dW (K x CRS) += dy (K x PQ) . col(x)^T (PQ x CRS), summed over images; each group of tasks
 *                       sums its images into a private copy, the copies are added to dw in group order (deterministic). */
#include "isa.h"
#include <string.h>

typedef cnn_conv_geom geom;

static int64_t filt_len(const geom *g) { return (int64_t)g->k * g->c * g->r * g->s; }

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

/* op(B) = col(x) of one image: depth = (c, r, s), columns = output positions (offset by j_base). With stride 1, pad
 * holds the image's padded planes (padded_image), so each run of an im2col row is a plain copy. */
typedef struct { const geom *g; const float *x; int j_base; const float *pad; } col_source;

/* Rows and columns of a padded plane: exactly what the output reads with stride 1 (pads may be negative). */
static int padded_h(const geom *g) { return g->p + g->r - 1; }
static int padded_w(const geom *g) { return g->q + g->s - 1; }

/* Floats padded_image writes: the padded planes, then one vector of slack that whole-vector copies may read. */
static size_t padded_len(const geom *g) { return (size_t)g->c * padded_h(g) * padded_w(g) + VF_LANES; }

/* dst[c][h][w] = x[c][h - ph][w - pw] where that lies in the image, else 0: the stride-1 im2col row for tap (r, s)
 * and output (p, q) is then dst[c][p + r][q + s], contiguous along q. */
static void padded_image(const geom *g, const float *x, float *dst) {
    int hp = padded_h(g), wp = padded_w(g);
    for (int c = 0; c < g->c; c++)
        for (int h = 0; h < hp; h++) {
            float *row = dst + ((size_t)c * hp + h) * wp;
            int hi = h - g->ph;
            if (hi < 0 || hi >= g->h) { memset(row, 0, sizeof(float) * (size_t)wp); continue; }
            const float *src = x + ((size_t)c * g->h + hi) * g->w;
            /* columns [lo, hi) come from the image */
            int lo = g->pw > 0 ? g->pw : 0, end = g->w + g->pw < wp ? g->w + g->pw : wp;
            for (int w = 0; w < lo; w++) row[w] = 0.0f;
            if (end > lo) memcpy(row + lo, src + lo - g->pw, sizeof(float) * (size_t)(end - lo));
            for (int w = end > lo ? end : lo; w < wp; w++) row[w] = 0.0f;
        }
    memset(dst + (size_t)g->c * hp * wp, 0, sizeof(float) * VF_LANES);
}

/* A strip of output positions as runs along q: the strip row's [dst, dst + len) comes from a tap's padded plane at
 * (row, column) offset src. At most CNN_NR runs (one per output row the strip touches). */
typedef struct { int dst, src, len; } strip_run;

static int strip_runs(const geom *g, int p, int q, int count, strip_run *runs) {
    const int wp = padded_w(g);
    int n = 0;
    for (int o = 0; o < count; p++, q = 0) {
        int len = g->q - q < count - o ? g->q - q : count - o;
        runs[n++] = (strip_run){o, p * wp + q, len};
        o += len;
    }
    return n;
}

/* Copies the runs of one tap (whose padded plane, shifted by the tap, starts at base) into a strip row d. Whole
 * vectors are stored where the strip row has room (what lands past a run is overwritten by the next run, or zeroed
 * by the caller past the strip's positions); the source may be read one vector past a run (padded_len's slack). */
static inline void copy_runs(const float *base, const strip_run *runs, int n, float *d) {
    for (int k = 0; k < n; k++) {
        const float *src = base + runs[k].src;
        float *dst = d + runs[k].dst;
        int len = runs[k].len, room = CNN_NR - runs[k].dst;
        for (int i = 0; i < len; i += VF_LANES) {
            vf v = vf_load(src + i);
            if (i + VF_LANES <= room) vf_store(dst + i, v);
            else vf_store_n(dst + i, v, len - i);
        }
    }
}

static void pack_b_col(const void *self, int p0, int j0, int kc, int nc, float *dst) {
    const col_source *src = (const col_source *)self;
    const geom *g = src->g;
    int rs = g->r * g->s;
    size_t plane = src->pad != NULL ? (size_t)padded_h(g) * padded_w(g) : (size_t)g->h * g->w;
    strip_run runs[CNN_NR];
    for (int jr = 0; jr < nc; jr += CNN_NR) {
        int nr = nc - jr < CNN_NR ? nc - jr : CNN_NR;
        int j = src->j_base + j0 + jr;
        int p = j / g->q, q = j % g->q;
        int c = p0 / rs, r = (p0 % rs) / g->s, s = p0 % g->s;
        int nruns = src->pad != NULL ? strip_runs(g, p, q, nr, runs) : 0;
        float *d = dst + (size_t)jr * kc;
        for (int kk = 0; kk < kc; kk++, d += CNN_NR) {
            if (src->pad != NULL) copy_runs(src->pad + c * plane + r * padded_w(g) + s, runs, nruns, d);
            else im2col_run(src->x + c * plane, g, r, s, p, q, nr, d, 1);
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

/* y = conv(x, w) + bias, one task per (image, chunk of output positions). */
typedef struct { cnn_context *ctx; const geom *g; const float *x, *bias; cnn_matrix wm; float *y; int chunks; } forward_job;

static void forward_task(const void *p, int t, int worker) {
    const forward_job *j = (const forward_job *)p;
    const geom *g = j->g;
    int pq = g->p * g->q, crs = g->c * g->r * g->s;
    int n = t / j->chunks, lo, hi;
    chunk_range(pq, j->chunks, t % j->chunks, &lo, &hi);
    if (lo >= hi) return;
    float *ws = cnn__thread_ws(j->ctx, worker);
    col_source src = {g, j->x + (ptrdiff_t)n * g->c * g->h * g->w, lo, NULL};
    if (g->sh == 1 && g->sw == 1) {
        padded_image(g, src.x, ws + CNN_GEMM_WS);
        src.pad = ws + CNN_GEMM_WS;
    }
    float *yn = j->y + (ptrdiff_t)n * g->k * pq;
    cnn__gemm_blocked(g->k, hi - lo, crs, 1.0f, cnn__pack_a_matrix, &j->wm, pack_b_col, &src, 0.0f, j->bias, yn + lo, pq, ws);
}

/* Floats of per-thread workspace cnn__conv2d_forward needs: the GEMM's, and with stride 1 the padded image. */
static size_t forward_ws(const geom *g) { return CNN_GEMM_WS + (g->sh == 1 && g->sw == 1 ? padded_len(g) : 0); }

/* y = conv(x, w) + bias for a validated geometry whose filters w are K x (C R S) row-major. */
int cnn__conv2d_forward(cnn_context *ctx, const geom *g, const float *x, const float *w, const float *bias, float *y) {
    int st = cnn__reserve(ctx, forward_ws(g), 0);
    if (st != CNN_OK) return st;
    forward_job j = {ctx, g, x, bias, {w, g->c * g->r * g->s, 0}, y, chunks_per_image(ctx, g)};
    cnn__parallel_for(ctx, g->n * j.chunks, forward_task, &j);
    return CNN_OK;
}

/* Stride 1: dx[n,c,h,w] = sum_k,r,s dy[n,k,h+ph-r,w+pw-s] w[k,c,r,s] is a forward convolution of dy (K channels,
 * P x Q) with filters w'[c,k,r',s'] = w[k,c,R-1-r',S-1-s'] and padding R-1-ph, S-1-pw (negative when the
 * forward padding exceeds R-1: then the output simply never reaches those rows). */
static int backward_data_flipped(cnn_context *ctx, const geom *g, const float *dy, const float *w, float *dx) {
    geom f = {.n = g->n, .c = g->k, .h = g->p, .w = g->q, .k = g->c, .r = g->r, .s = g->s, .sh = 1, .sw = 1,
              .ph = g->r - 1 - g->ph, .pw = g->s - 1 - g->pw, .p = g->h, .q = g->w};
    /* Everything the forward convolution will need is reserved before wf is written: a larger reservation moves the workspace. */
    size_t wlen = (size_t)filt_len(g);
    int st = cnn__reserve(ctx, forward_ws(&f), wlen);
    if (st != CNN_OK) return st;
    float *wf = cnn__shared_ws(ctx);
    int rs = g->r * g->s;
    for (int k = 0; k < g->k; k++)
        for (int c = 0; c < g->c; c++)
            for (int i = 0; i < rs; i++)
                wf[((size_t)c * g->k + k) * rs + (rs - 1 - i)] = w[((size_t)k * g->c + c) * rs + i];
    return cnn__conv2d_forward(ctx, &f, dy, wf, NULL, dx);
}

/* Any stride: per image, col = W^T dy (CRS x PQ) into the worker's workspace, then scatter-add into dx. */
typedef struct { cnn_context *ctx; const geom *g; const float *dy; cnn_matrix wt; float *dx; } col2im_job;

static void col2im_task(const void *p, int n, int worker) {
    const col2im_job *j = (const col2im_job *)p;
    const geom *g = j->g;
    int pq = g->p * g->q, crs = g->c * g->r * g->s;
    float *ws = cnn__thread_ws(j->ctx, worker);
    float *col = ws + CNN_GEMM_WS;
    cnn_matrix dym = {j->dy + (ptrdiff_t)n * g->k * pq, pq, 0};
    cnn__gemm_blocked(crs, pq, g->k, 1.0f, cnn__pack_a_matrix, &j->wt, cnn__pack_b_matrix, &dym, 0.0f, NULL, col, pq, ws);
    float *dxn = j->dx + (ptrdiff_t)n * g->c * g->h * g->w;
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

static int backward_data_col2im(cnn_context *ctx, const geom *g, const float *dy, const float *w, float *dx) {
    int pq = g->p * g->q, crs = g->c * g->r * g->s;
    int st = cnn__reserve(ctx, CNN_GEMM_WS + (size_t)crs * pq, 0);
    if (st != CNN_OK) return st;
    col2im_job j = {ctx, g, dy, {w, crs, 1}, dx};
    cnn__parallel_for(ctx, g->n, col2im_task, &j);
    return CNN_OK;
}

int cnn__conv2d_backward_data(cnn_context *ctx, const geom *g, const float *dy, const float *w, float *dx) {
    /* The flipped convolution's GEMM has only C rows: with few input channels (a first layer) the register tile
     * would be mostly padding and packing would dominate, so those take the col2im route instead. */
    if (g->sh == 1 && g->sw == 1 && g->c >= 16 && (int64_t)g->k * g->r * g->s <= INT32_MAX)
        return backward_data_flipped(ctx, g, dy, w, dx);
    return backward_data_col2im(ctx, g, dy, w, dx);
}

/* Backward filter in two loops. First, group i of `groups` sums its contiguous share of the (image, chunk) tasks
 * into its own partial (in workspace region i, after the GEMM part the running worker uses). Then the partials are
 * added to dw in group order, so the result depends on the thread count only, never on scheduling. */
typedef struct {
    cnn_context *ctx;
    const geom *g;
    const float *x, *dy;
    float *dw, *db;
    int chunks, tasks, groups;
    size_t flen;
} filter_job;

static float *filter_partial(const filter_job *j, int group) { return cnn__thread_ws(j->ctx, group) + CNN_GEMM_WS; }

static void filter_group_task(const void *p, int group, int worker) {
    const filter_job *j = (const filter_job *)p;
    const geom *g = j->g;
    int pq = g->p * g->q, crs = g->c * g->r * g->s;
    float *ws = cnn__thread_ws(j->ctx, worker), *partial = filter_partial(j, group);
    memset(partial, 0, sizeof(float) * j->flen);
    int t0 = (int)((int64_t)j->tasks * group / j->groups), t1 = (int)((int64_t)j->tasks * (group + 1) / j->groups);
    for (int task = t0; task < t1; task++) {
        int n = task / j->chunks, lo, hi;
        chunk_range(pq, j->chunks, task % j->chunks, &lo, &hi);
        if (lo >= hi) continue;
        cnn_matrix dym = {j->dy + (ptrdiff_t)n * g->k * pq + lo, pq, 0};
        col_source src = {g, j->x + (ptrdiff_t)n * g->c * g->h * g->w, lo, NULL};
        cnn__gemm_blocked(g->k, crs, hi - lo, 1.0f, cnn__pack_a_matrix, &dym, pack_b_col_t, &src, 1.0f, NULL, partial, crs, ws);
    }
}

/* Task i < groups adds the partials to one slice of dw; the remaining tasks sum db for one slice of k each. */
static void filter_sum_task(const void *p, int t, int worker) {
    (void)worker;
    const filter_job *j = (const filter_job *)p;
    const geom *g = j->g;
    if (t < j->groups) {
        size_t i0 = j->flen * (size_t)t / (size_t)j->groups, i1 = j->flen * (size_t)(t + 1) / (size_t)j->groups;
        for (size_t i = i0; i < i1; i++) {
            float sum = 0.0f;
            for (int u = 0; u < j->groups; u++) sum += filter_partial(j, u)[i];
            j->dw[i] += sum;
        }
        return;
    }
    int slices = j->groups, s = t - j->groups, pq = g->p * g->q;
    for (int k = g->k * s / slices; k < g->k * (s + 1) / slices; k++) {
        double bsum = 0.0;
        for (int n = 0; n < g->n; n++) {
            const float *row = j->dy + ((ptrdiff_t)n * g->k + k) * pq;
            for (int i = 0; i < pq; i++) bsum += row[i];
        }
        j->db[k] += (float)bsum;
    }
}

int cnn__conv2d_backward_filter(cnn_context *ctx, const geom *g, const float *x, const float *dy, float *dw, float *db) {
    size_t flen = (size_t)filt_len(g);
    int st = cnn__reserve(ctx, CNN_GEMM_WS + flen, 0);
    if (st != CNN_OK) return st;
    filter_job j = {ctx, g, x, dy, dw, db, chunks_per_image(ctx, g), 0, 0, flen};
    j.tasks = g->n * j.chunks;
    j.groups = ctx->threads < j.tasks ? ctx->threads : j.tasks;
    cnn__parallel_for(ctx, j.groups, filter_group_task, &j);
    cnn__parallel_for(ctx, db != NULL ? 2 * j.groups : j.groups, filter_sum_task, &j);
    return CNN_OK;
}
