/* gemm_kernels.c: the GEMM every dense and convolution op runs on, compiled once per instruction set (isa.h).
 *
 * Structure (Goto/BLIS): for each NC column panel, for each KC depth block, pack the KC x NC panel of B into
 * CNN_NR-column strips; for each MC row block pack A into CNN_MR-row panels; then the macro-kernel runs the
 * CNN_MR x CNN_NR micro-kernel over every (strip, panel) pair. Packing is a callback so convolutions can pack
 * straight from the image (implicit im2col) instead of materialising a column matrix.
 *
 * A product of at most SMALL_M rows (a dense layer at batch 1) skips packing: packing would copy all of B to use
 * each element once or twice, so those rows are computed straight from A and B (dot products along k when B is
 * transposed, rows of B scaled and summed otherwise), reading B once. */
#include "isa.h"
#include <string.h>

/* ----------------------------------------------------------------------------------------- micro-kernel */

/* c[0..MR)[0..NR) = alpha * (a-panel x b-strip) + beta * c, then + row_bias[i] (beta == 0: c is not read; row_bias
 * may be NULL). Each depth step loads CNN_NV vectors of B and broadcasts CNN_MR values of A; the loops over the register
 * block are unrolled completely, so the accumulators live in registers. */
static inline void micro_kernel(int kc, const float *restrict a, const float *restrict b, float *restrict c, ptrdiff_t ldc,
                                float alpha, float beta, const float *row_bias) {
    vf acc[CNN_MR][CNN_NV];
#pragma GCC unroll 16
    for (int i = 0; i < CNN_MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < CNN_NV; v++) acc[i][v] = vf_zero();
#pragma GCC unroll 4
    for (int p = 0; p < kc; p++) {
        vf bv[CNN_NV];
#pragma GCC unroll 4
        for (int v = 0; v < CNN_NV; v++) bv[v] = vf_load(b + v * VF_LANES);
#pragma GCC unroll 16
        for (int i = 0; i < CNN_MR; i++) {
            vf av = vf_set1(a[i]);
#pragma GCC unroll 4
            for (int v = 0; v < CNN_NV; v++) acc[i][v] = vf_fmadd(av, bv[v], acc[i][v]);
        }
        a += CNN_MR;
        b += CNN_NR;
    }
    vf va = vf_set1(alpha), vb = vf_set1(beta);
#pragma GCC unroll 16
    for (int i = 0; i < CNN_MR; i++) {
        float *ci = c + i * ldc;
#pragma GCC unroll 4
        for (int v = 0; v < CNN_NV; v++) {
            vf out = vf_mul(va, acc[i][v]);
            if (beta != 0.0f) out = vf_fmadd(vb, vf_load(ci + v * VF_LANES), out);
            if (row_bias != NULL) out = vf_add(out, vf_set1(row_bias[i]));
            vf_store(ci + v * VF_LANES, out);
        }
    }
}

/* ------------------------------------------------------------------------------------------------ packing */

/* d[i][j] = s[j][i] for an 8 x 8 block (rows ls and ld floats apart): packing a transposed operand moves whole
 * vectors instead of scattering single floats. */
static inline void transpose8x8(const float *s, ptrdiff_t ls, float *d, ptrdiff_t ld) {
    __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ls), r2 = _mm256_loadu_ps(s + 2 * ls), r3 = _mm256_loadu_ps(s + 3 * ls);
    __m256 r4 = _mm256_loadu_ps(s + 4 * ls), r5 = _mm256_loadu_ps(s + 5 * ls), r6 = _mm256_loadu_ps(s + 6 * ls), r7 = _mm256_loadu_ps(s + 7 * ls);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + ld, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 2 * ld, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 3 * ld, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d + 4 * ld, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d + 5 * ld, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d + 6 * ld, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d + 7 * ld, _mm256_permute2f128_ps(u3, u7, 0x31));
}

void cnn__pack_a_matrix(const void *self, int i0, int p0, int mc, int kc, float *dst) {
    const cnn_matrix *m = (const cnn_matrix *)self;
    for (int ir = 0; ir < mc; ir += CNN_MR) {
        int mr = mc - ir < CNN_MR ? mc - ir : CNN_MR;
        float *d = dst + (size_t)ir * kc;
        if (m->trans) {
            /* op(A)(i, p) = a[p*ld + i]: the panel's MR values at each depth are contiguous. */
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
#pragma GCC unroll 4
                    for (int v = 0; v < CNN_NV; v++) vf_store(dp + v * VF_LANES, vf_load(src + v * VF_LANES));
                } else {
                    for (int j = 0; j < nr; j++) dp[j] = src[j];
                    for (int j = nr; j < CNN_NR; j++) dp[j] = 0.0f;
                }
            }
        } else {
            /* op(B)(p, j) = b[j*ld + p]: 8 x 8 blocks transposed in registers, then the columns and depths left over
             * (read along each stored row, written down a column of the strip). */
            const float *b0 = m->a + (ptrdiff_t)(j0 + jr) * m->ld + p0;
            int j8 = nr / 8 * 8, p8 = kc / 8 * 8;
            for (int j = 0; j < j8; j += 8)
                for (int p = 0; p < p8; p += 8) transpose8x8(b0 + (ptrdiff_t)j * m->ld + p, m->ld, d + (size_t)p * CNN_NR + j, CNN_NR);
            for (int j = 0; j < nr; j++) {
                const float *src = b0 + (ptrdiff_t)j * m->ld;
                for (int p = j < j8 ? p8 : 0; p < kc; p++) d[p * CNN_NR + j] = src[p];
            }
            for (int j = nr; j < CNN_NR; j++)
                for (int p = 0; p < kc; p++) d[p * CNN_NR + j] = 0.0f;
        }
    }
}

/* ------------------------------------------------------------------------------------------------- driver */

/* C = beta * C, then + row_bias (beta == 0: zero, ignoring NaN); used when the depth k is 0. */
static void scale_c(int m, int n, float beta, const float *row_bias, float *c, ptrdiff_t ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float t = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
            c[i * ldc + j] = row_bias != NULL ? t + row_bias[i] : t;
        }
}

void cnn__gemm_blocked(int m, int n, int k, float alpha, cnn_pack_a_fn pack_a, const void *a_self, cnn_pack_b_fn pack_b,
                       const void *b_self, float beta, const float *row_bias, float *c, ptrdiff_t ldc, float *ws) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) { scale_c(m, n, beta, row_bias, c, ldc); return; }
    float *ap = ws;
    float *bp = ws + (size_t)CNN_MC * CNN_KC;
    float tile[CNN_MR * CNN_NR] __attribute__((aligned(64)));
    for (int jc = 0; jc < n; jc += CNN_NC) {
        int nc = n - jc < CNN_NC ? n - jc : CNN_NC;
        for (int pc = 0; pc < k; pc += CNN_KC) {
            int kc = k - pc < CNN_KC ? k - pc : CNN_KC;
            /* The first depth block applies the caller's beta and the row bias; later ones add to what it wrote. */
            float b_eff = pc == 0 ? beta : 1.0f;
            const float *bias_eff = pc == 0 ? row_bias : NULL;
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
                        const float *bias_rows = bias_eff != NULL ? bias_eff + ic + ir : NULL;
                        float *cc = c + (ptrdiff_t)(ic + ir) * ldc + jc + jr;
                        if (mr == CNN_MR && nr == CNN_NR) {
                            micro_kernel(kc, as, bs, cc, ldc, alpha, b_eff, bias_rows);
                        } else {
                            /* Edge tile: compute the full tile into scratch, merge the valid part. */
                            micro_kernel(kc, as, bs, tile, CNN_NR, alpha, 0.0f, NULL);
                            for (int i = 0; i < mr; i++)
                                for (int j = 0; j < nr; j++) {
                                    float *cij = cc + i * ldc + j;
                                    float t = tile[i * CNN_NR + j];
                                    if (b_eff != 0.0f) t = t + b_eff * *cij;
                                    if (bias_rows != NULL) t += bias_rows[i];
                                    *cij = t;
                                }
                        }
                    }
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------- few rows */

/* Products of at most this many rows take the unpacked path. */
#define SMALL_M 4

/* A GEMM call split over column ranges (the packed path) or handled row-group by row-group (the few-rows path). */
typedef struct {
    cnn_context *ctx;
    int m, n, k, split_cols, unit, extent, units, tasks;
    float alpha, beta;
    const float *a, *b; /* a: op(A) rows contiguous (m x k) on the few-rows path */
    cnn_matrix am, bm;
    float *c;
} gemm_job;

static inline float merge(float sum, float alpha, float beta, const float *c) { return beta == 0.0f ? alpha * sum : alpha * sum + beta * *c; }

/* C[0..m)[j0..j1) with B stored transposed (n x k): c[i][j] = dot(a_i, b_j). Up to SMALL_M rows share every load
 * of b_j; two columns at a time keep 2 * SMALL_M accumulators. */
static void few_rows_dot(const gemm_job *g, int j0, int j1) {
    const int m = g->m, k = g->k, full = k / VF_LANES * VF_LANES, tail = k - full;
    for (int j = j0; j < j1; j += 2) {
        int cols = j1 - j < 2 ? 1 : 2;
        const float *b0 = g->b + (ptrdiff_t)j * k, *b1 = cols == 2 ? b0 + k : b0;
        vf acc[SMALL_M][2];
#pragma GCC unroll 4
        for (int i = 0; i < SMALL_M; i++) acc[i][0] = acc[i][1] = vf_zero();
        for (int p = 0; p < full; p += VF_LANES) {
            vf x0 = vf_load(b0 + p), x1 = vf_load(b1 + p);
#pragma GCC unroll 4
            for (int i = 0; i < SMALL_M; i++)
                if (i < m) {
                    vf av = vf_load(g->a + (ptrdiff_t)i * k + p);
                    acc[i][0] = vf_fmadd(av, x0, acc[i][0]);
                    acc[i][1] = vf_fmadd(av, x1, acc[i][1]);
                }
        }
        if (tail > 0) {
            vf x0 = vf_load_n(b0 + full, tail), x1 = vf_load_n(b1 + full, tail);
            for (int i = 0; i < m; i++) {
                vf av = vf_load_n(g->a + (ptrdiff_t)i * k + full, tail);
                acc[i][0] = vf_fmadd(av, x0, acc[i][0]);
                acc[i][1] = vf_fmadd(av, x1, acc[i][1]);
            }
        }
        for (int i = 0; i < m; i++)
            for (int u = 0; u < cols; u++) {
                float *cij = g->c + (ptrdiff_t)i * g->n + j + u;
                *cij = merge(vf_sum(acc[i][u]), g->alpha, g->beta, cij);
            }
    }
}

/* C[0..m)[j0..j1) with B stored as k x n: each row of C is the sum over p of a(i, p) times row p of B, CNN_NV
 * vectors of columns at a time. */
static void few_rows_axpy(const gemm_job *g, int j0, int j1) {
    const int m = g->m, k = g->k, n = g->n;
    vf va = vf_set1(g->alpha), vb = vf_set1(g->beta);
    for (int j = j0; j < j1; j += CNN_NR) {
        int width = j1 - j < CNN_NR ? j1 - j : CNN_NR;
        vf acc[SMALL_M][CNN_NV];
#pragma GCC unroll 4
        for (int i = 0; i < SMALL_M; i++)
#pragma GCC unroll 4
            for (int v = 0; v < CNN_NV; v++) acc[i][v] = vf_zero();
        for (int p = 0; p < k; p++) {
            const float *bp = g->b + (ptrdiff_t)p * n + j;
            vf x[CNN_NV];
#pragma GCC unroll 4
            for (int v = 0; v < CNN_NV; v++) {
                int lanes = width - v * VF_LANES;
                x[v] = lanes >= VF_LANES ? vf_load(bp + v * VF_LANES) : lanes > 0 ? vf_load_n(bp + v * VF_LANES, lanes) : vf_zero();
            }
#pragma GCC unroll 4
            for (int i = 0; i < SMALL_M; i++)
                if (i < m) {
                    vf av = vf_set1(g->a[(ptrdiff_t)i * k + p]);
#pragma GCC unroll 4
                    for (int v = 0; v < CNN_NV; v++) acc[i][v] = vf_fmadd(av, x[v], acc[i][v]);
                }
        }
        for (int i = 0; i < m; i++)
            for (int v = 0; v < CNN_NV; v++) {
                int lanes = width - v * VF_LANES;
                if (lanes <= 0) break;
                float *cv = g->c + (ptrdiff_t)i * n + j + v * VF_LANES;
                if (lanes > VF_LANES) lanes = VF_LANES;
                vf old = g->beta == 0.0f ? vf_zero() : vf_load_n(cv, lanes);
                vf out = g->beta == 0.0f ? vf_mul(va, acc[i][v]) : vf_fmadd(va, acc[i][v], vf_mul(vb, old));
                vf_store_n(cv, out, lanes);
            }
    }
}

static void few_rows_task(const void *p, int t, int worker) {
    (void)worker;
    const gemm_job *g = (const gemm_job *)p;
    int u0 = (int)((int64_t)g->units * t / g->tasks), u1 = (int)((int64_t)g->units * (t + 1) / g->tasks);
    int lo = u0 * g->unit, hi = u1 * g->unit < g->n ? u1 * g->unit : g->n;
    if (lo >= hi) return;
    if (g->bm.trans) few_rows_dot(g, lo, hi);
    else few_rows_axpy(g, lo, hi);
}

/* ------------------------------------------------------------------------------------------- many rows */

/* One thread's share of a packed GEMM: a contiguous range of register-block units of C's larger dimension. Each
 * task packs what it needs itself (no shared state). */
static void packed_task(const void *p, int t, int worker) {
    const gemm_job *j = (const gemm_job *)p;
    int u0 = (int)((int64_t)j->units * t / j->tasks), u1 = (int)((int64_t)j->units * (t + 1) / j->tasks);
    int lo = u0 * j->unit, hi = u1 * j->unit < j->extent ? u1 * j->unit : j->extent;
    if (lo >= hi) return;
    float *ws = cnn__thread_ws(j->ctx, worker);
    if (j->split_cols) {
        cnn_matrix bs = j->bm;
        bs.a = bs.trans ? j->b + (ptrdiff_t)lo * bs.ld : j->b + lo;
        cnn__gemm_blocked(j->m, hi - lo, j->k, j->alpha, cnn__pack_a_matrix, &j->am, cnn__pack_b_matrix, &bs, j->beta, NULL,
                          j->c + lo, j->n, ws);
    } else {
        cnn_matrix as = j->am;
        as.a = as.trans ? j->a + lo : j->a + (ptrdiff_t)lo * as.ld;
        cnn__gemm_blocked(hi - lo, j->n, j->k, j->alpha, cnn__pack_a_matrix, &as, cnn__pack_b_matrix, &j->bm, j->beta, NULL,
                          j->c + (ptrdiff_t)lo * j->n, j->n, ws);
    }
}

int cnn__gemm_run(cnn_context *ctx, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                  const float *b, float beta, float *c) {
    gemm_job j = {.ctx = ctx, .m = m, .n = n, .k = k, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c,
                  .am = {a, trans_a ? m : k, trans_a != 0}, .bm = {b, trans_b ? k : n, trans_b != 0}};
    /* Below a million multiply-adds a second thread costs more than it saves. */
    int parallel = (double)m * n * k >= 1e6;
    if (m <= SMALL_M && k > 0) {
        if (trans_a && m > 1) {
            /* op(A) = A^T with A stored k x m: gather its m rows once, so the loops read them contiguously. */
            int st = cnn__reserve(ctx, 0, (size_t)m * k);
            if (st != CNN_OK) return st;
            float *rows = cnn__shared_ws(ctx);
            for (int p = 0; p < k; p++)
                for (int i = 0; i < m; i++) rows[(size_t)i * k + p] = a[(size_t)p * m + i];
            j.a = rows;
        }
        j.unit = trans_b ? 2 : CNN_NR;
        j.units = (n + j.unit - 1) / j.unit;
        j.tasks = parallel ? (ctx->threads < j.units ? ctx->threads : j.units) : 1;
        cnn__parallel_for(ctx, j.tasks, few_rows_task, &j);
        return CNN_OK;
    }
    int st = cnn__reserve(ctx, CNN_GEMM_WS, 0);
    if (st != CNN_OK) return st;
    /* Split the larger of C's dimensions into one contiguous range per thread, aligned to the register block. */
    j.split_cols = n >= m;
    j.unit = j.split_cols ? CNN_NR : CNN_MR;
    j.extent = j.split_cols ? n : m;
    j.units = (j.extent + j.unit - 1) / j.unit;
    j.tasks = parallel ? (ctx->threads < j.units ? ctx->threads : j.units) : 1;
    cnn__parallel_for(ctx, j.tasks, packed_task, &j);
    return CNN_OK;
}
