/* internal.h: what the op files share: the context, argument-check macros and the blocked GEMM driver. */
#ifndef CNN_INTERNAL_H
#define CNN_INTERNAL_H

#include "cnn_native.h"
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef _OPENMP
#include <omp.h>
#endif

struct cnn_context {
    int threads;
    /* One block, grown on demand: `threads` per-thread regions of per_thread floats, then `shared` floats.
     * Ops never allocate in the steady state; they reserve what they need before their parallel region. */
    float *workspace;
    size_t per_thread;
    size_t shared;
};

/* Makes sure ctx's workspace holds `per_thread` floats per thread plus `shared` floats (64-byte aligned).
 * Returns CNN_OK or CNN_E_OUT_OF_MEMORY (the old workspace is kept then). */
int cnn__reserve(cnn_context *ctx, size_t per_thread, size_t shared);
static inline float *cnn__thread_ws(const cnn_context *ctx, int t) { return ctx->workspace + (size_t)t * ctx->per_thread; }
static inline float *cnn__shared_ws(const cnn_context *ctx) { return ctx->workspace + (size_t)ctx->threads * ctx->per_thread; }

static inline int cnn__thread_id(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Argument checks, in the order the header documents. */
#define CNN_CHECK_CTX(ctx) do { if ((ctx) == NULL) return CNN_E_NULL_POINTER; } while (0)
#define CNN_CHECK_SIZE(cond) do { if (!(cond)) return CNN_E_INVALID_SIZE; } while (0)
#define CNN_CHECK_ARG(cond) do { if (!(cond)) return CNN_E_INVALID_ARGUMENT; } while (0)
#define CNN_CHECK_PTR(p) do { if ((p) == NULL) return CNN_E_NULL_POINTER; } while (0)
#define CNN_CHECK_LEN(len, need) do { if ((int64_t)(len) < (int64_t)(need)) return CNN_E_BUFFER_TOO_SMALL; } while (0)
#define CNN_CHECK_BUF(p, len, need) do { CNN_CHECK_PTR(p); CNN_CHECK_LEN(len, need); } while (0)

/* Element counts below which an op stays on the calling thread (a parallel region costs a few microseconds). */
#define CNN_PARALLEL_MIN 32768

/* The next for loop over `length` elements, split statically across the context's threads when long enough. */
#define PAR_FOR(ctx, length) _Pragma("omp parallel for schedule(static) num_threads((ctx)->threads) if ((length) >= CNN_PARALLEL_MIN)")

/* Argument checks of the row-wise ops (softmax.c, loss.c): rows >= 0, cols >= 1, count_ = rows * cols. */
#define MATRIX_PROLOGUE(rows, cols)                  \
    CNN_CHECK_CTX(ctx);                              \
    CNN_CHECK_SIZE((rows) >= 0 && (cols) >= 1);      \
    int64_t count_ = (int64_t)(rows) * (cols)

/* .NET's Math.Max: NaN when either argument is NaN (fmaxf would drop the NaN). */
static inline float cnn__net_max(float a, float b) { return (isnan(a) || isnan(b)) ? NAN : (b > a ? b : a); }

/* ------------------------------------------------------------------------------------ blocked GEMM driver */

/* Register block of the micro-kernel (6 rows x 16 columns = 12 ymm accumulators) and cache blocks:
 * a kc x 16 strip of B stays in L1 while the mc x kc block of A (L2) streams past it. */
#define CNN_MR 6
#define CNN_NR 16
#define CNN_KC 256
#define CNN_MC 120
#define CNN_NC 3072

/* Floats of per-thread workspace the driver needs (packed A block, packed B panel). */
#define CNN_GEMM_WS ((size_t)CNN_MC * CNN_KC + (size_t)CNN_KC * (CNN_NC + CNN_NR))

/* Packs rows [i0, i0+mc) x depth [p0, p0+kc) of op(A) into MR-row panels (kc x MR each, zero-padded rows). */
typedef void (*cnn_pack_a_fn)(const void *self, int i0, int p0, int mc, int kc, float *dst);
/* Packs depth [p0, p0+kc) x columns [j0, j0+nc) of op(B) into NR-column strips (kc x NR each, zero-padded). */
typedef void (*cnn_pack_b_fn)(const void *self, int p0, int j0, int kc, int nc, float *dst);

/* A plain row-major matrix as a packing source: element (i, p) of op(A) is a[i*ld + p], or a[p*ld + i] when trans. */
typedef struct { const float *a; ptrdiff_t ld; int trans; } cnn_matrix;
void cnn__pack_a_matrix(const void *self, int i0, int p0, int mc, int kc, float *dst);
void cnn__pack_b_matrix(const void *self, int p0, int j0, int kc, int nc, float *dst);

/* C (m x n, leading dimension ldc) = alpha * op(A) op(B) + beta * C on the calling thread, with ws holding
 * CNN_GEMM_WS floats. beta == 0 never reads C. */
void cnn__gemm_blocked(int m, int n, int k, float alpha, cnn_pack_a_fn pack_a, const void *a_self,
                       cnn_pack_b_fn pack_b, const void *b_self, float beta, float *c, ptrdiff_t ldc, float *ws);

#endif
