/* internal.h: what the op files share: the context, its threads, argument-check macros and the kernel table. */
#ifndef CNN_INTERNAL_H
#define CNN_INTERNAL_H

#include "cnn_native.h"
#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cnn_workers cnn_workers;
typedef struct cnn_kernels cnn_kernels;

struct cnn_context {
    int threads;
    const cnn_kernels *kernels; /* the instruction set's build of the GEMM and convolution kernels */
    cnn_workers *workers;       /* threads - 1 helper threads (workers.c); NULL with one thread */
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

/* ------------------------------------------------------------------------------------ threads (workers.c) */

/* Body of a parallel loop: runs task `task`; `worker` (0 = the calling thread, < ctx->threads) names the thread, for
 * its workspace region. Tasks are handed out one at a time to whichever worker is free, so what a task computes
 * must not depend on the worker that runs it. */
typedef void (*cnn_task_fn)(const void *arg, int task, int worker);

/* Runs fn(arg, task, worker) for every task in [0, tasks) on the context's threads and returns when all are done.
 * One task runs on the caller alone. Not re-entrant: a task must not start another loop. */
void cnn__parallel_for(cnn_context *ctx, int tasks, cnn_task_fn fn, const void *arg);

/* Body of an element-wise loop over [begin, end). */
typedef void (*cnn_range_fn)(const void *arg, int64_t begin, int64_t end);

/* Runs fn over [0, length) on the calling thread when length < min_parallel, else in chunks on every thread. */
void cnn__parallel_range(cnn_context *ctx, int64_t length, int64_t min_parallel, cnn_range_fn fn, const void *arg);

/* Starts `helpers` threads (none when helpers <= 0: *out = NULL). CNN_OK or CNN_E_OUT_OF_MEMORY. */
int cnn__workers_create(int helpers, cnn_workers **out);
/* Stops and joins the helpers; NULL is accepted. */
void cnn__workers_destroy(cnn_workers *workers);

/* Argument checks, in the order the header documents. */
#define CNN_CHECK_CTX(ctx) do { if ((ctx) == NULL) return CNN_E_NULL_POINTER; } while (0)
#define CNN_CHECK_SIZE(cond) do { if (!(cond)) return CNN_E_INVALID_SIZE; } while (0)
#define CNN_CHECK_ARG(cond) do { if (!(cond)) return CNN_E_INVALID_ARGUMENT; } while (0)
#define CNN_CHECK_PTR(p) do { if ((p) == NULL) return CNN_E_NULL_POINTER; } while (0)
#define CNN_CHECK_LEN(len, need) do { if ((int64_t)(len) < (int64_t)(need)) return CNN_E_BUFFER_TOO_SMALL; } while (0)
#define CNN_CHECK_BUF(p, len, need) do { CNN_CHECK_PTR(p); CNN_CHECK_LEN(len, need); } while (0)

/* Element counts below which an op stays on the calling thread (handing work to a helper costs microseconds). */
#define CNN_PARALLEL_MIN 32768

/* Argument checks of the row-wise ops (softmax.c, loss.c): rows >= 0, cols >= 1, count_ = rows * cols. */
#define MATRIX_PROLOGUE(rows, cols)                  \
    CNN_CHECK_CTX(ctx);                              \
    CNN_CHECK_SIZE((rows) >= 0 && (cols) >= 1);      \
    int64_t count_ = (int64_t)(rows) * (cols)

/* .NET's Math.Max: NaN when either argument is NaN (fmaxf would drop the NaN). */
static inline float cnn__net_max(float a, float b) { return (isnan(a) || isnan(b)) ? NAN : (b > a ? b : a); }

/* ----------------------------------------------------------------------- kernels per instruction set */

/* A validated convolution in the form the kernels use: output p x q; the pads may be negative for the flipped
 * backward-data convolution. */
typedef struct cnn_conv_geom {
    int n, c, h, w, k, r, s, sh, sw, ph, pw, p, q;
} cnn_conv_geom;

/* The ops compiled once per instruction set (isa.h; gemm_kernels.c, conv2d_kernels.c). Each receives a validated
 * call (the public function in gemm.c or conv2d.c has checked every argument) and returns CNN_OK or
 * CNN_E_OUT_OF_MEMORY (workspace), having written nothing in the latter case. */
struct cnn_kernels {
    int isa; /* CNN_ISA_AVX2 or CNN_ISA_AVX512 */
    int (*gemm)(cnn_context *ctx, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                const float *b, float beta, float *c);
    int (*conv2d_forward)(cnn_context *ctx, const cnn_conv_geom *g, const float *x, const float *w, const float *bias,
                          float *y);
    int (*conv2d_backward_data)(cnn_context *ctx, const cnn_conv_geom *g, const float *dy, const float *w, float *dx);
    int (*conv2d_backward_filter)(cnn_context *ctx, const cnn_conv_geom *g, const float *x, const float *dy, float *dw,
                                  float *db);
};

extern const cnn_kernels cnn__kernels_avx2, cnn__kernels_avx512;

#endif
