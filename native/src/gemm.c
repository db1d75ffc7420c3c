/* gemm.c: the blocked, packed GEMM every dense and convolution op runs on, and the dense ops (gemm, bias rows,
 * row sums).
 *
 * Structure (Goto/BLIS): for each NC column panel, for each KC depth block, pack the KC x NC panel of B into
 * 16-column strips; for each MC row block pack A into 6-row panels; then the macro-kernel runs the 6x16 AVX2
 * micro-kernel over every (strip, panel) pair. Packing is a callback so convolutions can pack straight from the
 * image (implicit im2col) instead of materialising a column matrix. */
#include "internal.h"
#include <immintrin.h>
#include <string.h>

/* c[0..6)[0..16) = alpha * (a-panel x b-strip) + beta * c (beta == 0: c is not read). 12 accumulators cover the
 * 4-cycle FMA latency on two FMA pipes; each depth step loads 2 B vectors and broadcasts 6 A values. */
static void kernel_6x16(int kc, const float *restrict a, const float *restrict b, float *restrict c, ptrdiff_t ldc,
                        float alpha, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int p = 0; p < kc; p++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        __m256 av;
        av = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);
        a += CNN_MR;
        b += CNN_NR;
    }
    __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    __m256 va = _mm256_set1_ps(alpha);
    if (beta == 0.0f) {
        for (int i = 0; i < CNN_MR; i++) {
            _mm256_storeu_ps(c + i * ldc, _mm256_mul_ps(va, acc[2 * i]));
            _mm256_storeu_ps(c + i * ldc + 8, _mm256_mul_ps(va, acc[2 * i + 1]));
        }
    } else {
        __m256 vb = _mm256_set1_ps(beta);
        for (int i = 0; i < CNN_MR; i++) {
            float *ci = c + i * ldc;
            _mm256_storeu_ps(ci, _mm256_fmadd_ps(va, acc[2 * i], _mm256_mul_ps(vb, _mm256_loadu_ps(ci))));
            _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(va, acc[2 * i + 1], _mm256_mul_ps(vb, _mm256_loadu_ps(ci + 8))));
        }
    }
}

void cnn__pack_a_matrix(const void *self, int i0, int p0, int mc, int kc, float *dst) {
    const cnn_matrix *m = (const cnn_matrix *)self;
    for (int ir = 0; ir < mc; ir += CNN_MR) {
        int mr = mc - ir < CNN_MR ? mc - ir : CNN_MR;
        float *d = dst + (size_t)ir * kc;
        if (m->trans) {
            /* op(A)(i, p) = a[p*ld + i]: the panel's 6 values at each depth are contiguous. */
            for (int p = 0; p < kc; p++) {
                const float *src = m->a + (ptrdiff_t)(p0 + p) * m->ld + i0 + ir;
                for (int i = 0; i < mr; i++) d[p * CNN_MR + i] = src[i];
                for (int i = mr; i < CNN_MR; i++) d[p * CNN_MR + i] = 0.0f;
            }
        } else {
            for (int i = 0; i < mr; i++) {
                const float *src = m->a + (ptrdiff_t)(i0 + ir + i) * m->ld + p0;
                for (int p = 0; p < kc; p++) d[p * CNN_MR + i] = src[p];
            }
            for (int i = mr; i < CNN_MR; i++)
                for (int p = 0; p < kc; p++) d[p * CNN_MR + i] = 0.0f;
        }
    }
}

void cnn__pack_b_matrix(const void *self, int p0, int j0, int kc, int nc, float *dst) {
    const cnn_matrix *m = (const cnn_matrix *)self;
    for (int jr = 0; jr < nc; jr += CNN_NR) {
        int nr = nc - jr < CNN_NR ? nc - jr : CNN_NR;
        float *d = dst + (size_t)jr * kc;
        if (!m->trans) {
            for (int p = 0; p < kc; p++) {
                const float *src = m->a + (ptrdiff_t)(p0 + p) * m->ld + j0 + jr;
                float *dp = d + p * CNN_NR;
                if (nr == CNN_NR) {
                    _mm256_store_ps(dp, _mm256_loadu_ps(src));
                    _mm256_store_ps(dp + 8, _mm256_loadu_ps(src + 8));
                } else {
                    for (int j = 0; j < nr; j++) dp[j] = src[j];
                    for (int j = nr; j < CNN_NR; j++) dp[j] = 0.0f;
                }
            }
        } else {
            /* op(B)(p, j) = b[j*ld + p]: read each stored row contiguously, write a column of the strip. */
            for (int j = 0; j < nr; j++) {
                const float *src = m->a + (ptrdiff_t)(j0 + jr + j) * m->ld + p0;
                for (int p = 0; p < kc; p++) d[p * CNN_NR + j] = src[p];
            }
            for (int j = nr; j < CNN_NR; j++)
                for (int p = 0; p < kc; p++) d[p * CNN_NR + j] = 0.0f;
        }
    }
}

/* C = beta * C (beta == 0: zero, ignoring NaN); used when the depth k is 0. */
static void scale_c(int m, int n, float beta, float *c, ptrdiff_t ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}

void cnn__gemm_blocked(int m, int n, int k, float alpha, cnn_pack_a_fn pack_a, const void *a_self,
                       cnn_pack_b_fn pack_b, const void *b_self, float beta, float *c, ptrdiff_t ldc, float *ws) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) { scale_c(m, n, beta, c, ldc); return; }
    float *ap = ws;
    float *bp = ws + (size_t)CNN_MC * CNN_KC;
    float tile[CNN_MR * CNN_NR] __attribute__((aligned(64)));
    for (int jc = 0; jc < n; jc += CNN_NC) {
        int nc = n - jc < CNN_NC ? n - jc : CNN_NC;
        for (int pc = 0; pc < k; pc += CNN_KC) {
            int kc = k - pc < CNN_KC ? k - pc : CNN_KC;
            /* The first depth block applies the caller's beta; later ones add to what it wrote. */
            float b_eff = pc == 0 ? beta : 1.0f;
            pack_b(b_self, pc, jc, kc, nc, bp);
            for (int ic = 0; ic < m; ic += CNN_MC) {
                int mc = m - ic < CNN_MC ? m - ic : CNN_MC;
                pack_a(a_self, ic, pc, mc, kc, ap);
                for (int jr = 0; jr < nc; jr += CNN_NR) {
                    int nr = nc - jr < CNN_NR ? nc - jr : CNN_NR;
                    const float *bs = bp + (size_t)jr * kc;
                    for (int ir = 0; ir < mc; ir += CNN_MR) {
                        int mr = mc - ir < CNN_MR ? mc - ir : CNN_MR;
                        const float *as = ap + (size_t)ir * kc;
                        float *cc = c + (ptrdiff_t)(ic + ir) * ldc + jc + jr;
                        if (mr == CNN_MR && nr == CNN_NR) {
                            kernel_6x16(kc, as, bs, cc, ldc, alpha, b_eff);
                        } else {
                            /* Edge tile: compute the full 6x16 into a scratch tile, merge the valid part. */
                            kernel_6x16(kc, as, bs, tile, CNN_NR, alpha, 0.0f);
                            for (int i = 0; i < mr; i++)
                                for (int j = 0; j < nr; j++) {
                                    float *cij = cc + i * ldc + j;
                                    *cij = b_eff == 0.0f ? tile[i * CNN_NR + j] : tile[i * CNN_NR + j] + b_eff * *cij;
                                }
                        }
                    }
                }
            }
        }
    }
}

/* One thread's share of cnn_gemm: a contiguous range of register-block units of C's larger dimension. Each task
 * packs what it needs itself (no shared state). */
typedef struct {
    cnn_context *ctx;
    int m, n, k, split_cols, unit, extent, units, tasks;
    float alpha, beta;
    const float *a, *b;
    cnn_matrix am, bm;
    float *c;
} gemm_job;

static void gemm_task(const void *p, int t, int worker) {
    const gemm_job *j = (const gemm_job *)p;
    int u0 = (int)((int64_t)j->units * t / j->tasks), u1 = (int)((int64_t)j->units * (t + 1) / j->tasks);
    int lo = u0 * j->unit, hi = u1 * j->unit < j->extent ? u1 * j->unit : j->extent;
    if (lo >= hi) return;
    float *ws = cnn__thread_ws(j->ctx, worker);
    if (j->split_cols) {
        cnn_matrix bs = j->bm;
        bs.a = bs.trans ? j->b + (ptrdiff_t)lo * bs.ld : j->b + lo;
        cnn__gemm_blocked(j->m, hi - lo, j->k, j->alpha, cnn__pack_a_matrix, &j->am, cnn__pack_b_matrix, &bs, j->beta,
                          j->c + lo, j->n, ws);
    } else {
        cnn_matrix as = j->am;
        as.a = as.trans ? j->a + lo : j->a + (ptrdiff_t)lo * as.ld;
        cnn__gemm_blocked(hi - lo, j->n, j->k, j->alpha, cnn__pack_a_matrix, &as, cnn__pack_b_matrix, &j->bm, j->beta,
                          j->c + (ptrdiff_t)lo * j->n, j->n, ws);
    }
}

int cnn_gemm(cnn_context *ctx, int trans_a, int trans_b, int m, int n, int k, float alpha,
             const float *a, int64_t a_len, const float *b, int64_t b_len, float beta, float *c, int64_t c_len) {
    CNN_CHECK_CTX(ctx);
    CNN_CHECK_SIZE(m >= 0 && n >= 0 && k >= 0);
    CNN_CHECK_BUF(a, a_len, (int64_t)m * k);
    CNN_CHECK_BUF(b, b_len, (int64_t)k * n);
    CNN_CHECK_BUF(c, c_len, (int64_t)m * n);
    if (m == 0 || n == 0) return CNN_OK;
    int st = cnn__reserve(ctx, CNN_GEMM_WS, 0);
    if (st != CNN_OK) return st;
    gemm_job j = {.ctx = ctx, .m = m, .n = n, .k = k, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c,
                  .am = {a, trans_a ? m : k, trans_a != 0}, .bm = {b, trans_b ? k : n, trans_b != 0}};
    /* Split the larger of C's dimensions into one contiguous range per thread, aligned to the register block. */
    j.split_cols = n >= m;
    j.unit = j.split_cols ? CNN_NR : CNN_MR;
    j.extent = j.split_cols ? n : m;
    j.units = (j.extent + j.unit - 1) / j.unit;
    j.tasks = ctx->threads < j.units ? ctx->threads : j.units;
    if ((double)m * n * k < 1e6) j.tasks = 1;
    cnn__parallel_for(ctx, j.tasks, gemm_task, &j);
    return CNN_OK;
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
