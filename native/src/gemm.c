/* gemm.c: the dense ops: gemm (its arguments checked here, the work done by the context's kernels, gemm_kernels.c,
 * built once per instruction set), bias rows and row sums. */
#include "internal.h"

int cnn_gemm(cnn_context *ctx, int trans_a, int trans_b, int m, int n, int k, float alpha,
             const float *a, int64_t a_len, const float *b, int64_t b_len, float beta, float *c, int64_t c_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(m >= 0 && n >= 0 && k >= 0);
    CNN_CHECK_BUF(a, a_len, (int64_t)m * k);
    CNN_CHECK_BUF(b, b_len, (int64_t)k * n);
    CNN_CHECK_BUF(c, c_len, (int64_t)m * n);
    if (m == 0 || n == 0) return CNN_OK;
    return ctx->kernels->gemm(ctx, trans_a != 0, trans_b != 0, m, n, k, alpha, a, b, beta, c);
}

typedef struct { int cols; const float *bias; float *y; } bias_rows_args;

static void bias_rows_range(const void *p, int64_t begin, int64_t end) {
    const bias_rows_args *a = (const bias_rows_args *)p;
    int cols = a->cols;
    const float *bias = a->bias;
    for (int64_t r = begin; r < end; r++) {
        float *yr = a->y + r * cols;
        for (int j = 0; j < cols; j++) yr[j] += bias[j];
    }
}

int cnn_add_bias_rows(cnn_context *ctx, int rows, int cols, const float *bias, int64_t bias_len, float *y, int64_t y_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(rows >= 0 && cols >= 0);
    CNN_CHECK_BUF(bias, bias_len, cols);
    CNN_CHECK_BUF(y, y_len, (int64_t)rows * cols);
    if (cols == 0) return CNN_OK;
    bias_rows_args a = {cols, bias, y};
    cnn__parallel_range(ctx, rows, (CNN_PARALLEL_MIN + cols - 1) / cols, bias_rows_range, &a);
    return CNN_OK;
}

/* Column blocks of double accumulators walked row by row: reads stay contiguous and each column is still summed in
 * row order, as the reference does. One task sums one block. */
enum { SUM_BLOCK = 512 };
typedef struct { int rows, cols; const float *x; float *sums; } sum_rows_args;

static void sum_rows_task(const void *p, int block, int worker) {
    (void)worker;
    const sum_rows_args *a = (const sum_rows_args *)p;
    double acc[SUM_BLOCK];
    int j0 = block * SUM_BLOCK, nj = a->cols - j0 < SUM_BLOCK ? a->cols - j0 : SUM_BLOCK;
    for (int j = 0; j < nj; j++) acc[j] = 0.0;
    for (int r = 0; r < a->rows; r++) {
        const float *xr = a->x + (ptrdiff_t)r * a->cols + j0;
        for (int j = 0; j < nj; j++) acc[j] += xr[j];
    }
    for (int j = 0; j < nj; j++) a->sums[j0 + j] += (float)acc[j];
}

int cnn_sum_rows(cnn_context *ctx, int rows, int cols, const float *x, int64_t x_len, float *sums, int64_t sums_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(rows >= 0 && cols >= 0);
    CNN_CHECK_BUF(x, x_len, (int64_t)rows * cols);
    CNN_CHECK_BUF(sums, sums_len, cols);
    int blocks = (cols + SUM_BLOCK - 1) / SUM_BLOCK;
    sum_rows_args a = {rows, cols, x, sums};
    if ((int64_t)rows * cols < CNN_PARALLEL_MIN)
        for (int bl = 0; bl < blocks; bl++) sum_rows_task(&a, bl, 0);
    else
        cnn__parallel_for(ctx, blocks, sum_rows_task, &a);
    return CNN_OK;
}
