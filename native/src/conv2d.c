/* conv2d.c: the 2-D convolution ops' entry points: every argument checked, then the context's kernels
 * (conv2d_kernels.c, built once per instruction set) do the work. */
#include "internal.h"

typedef cnn_conv_geom geom;

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
    return ctx->kernels->conv2d_forward(ctx, &g, x, w, bias, y);
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
    return ctx->kernels->conv2d_backward_data(ctx, &g, dy, w, dx);
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
    return ctx->kernels->conv2d_backward_filter(ctx, &g, x, dy, dw, db);
}
