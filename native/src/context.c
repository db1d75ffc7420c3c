/* context.c: the context (thread count, worker threads and workspaces) and the processor check.
 * Built without -mavx2 so that these functions run, and refuse cleanly, on any x86-64 processor. */
#define _GNU_SOURCE
#include "internal.h"
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The processors this process may run on (its affinity mask, as taskset or a container's cpuset leaves it). */
static int usable_processors(void) {
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Whether the processor (and the operating system, which must save the wider registers) runs an instruction set. */
static int processor_has(int isa) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return isa == CNN_ISA_AVX512 ? avx2 && __builtin_cpu_supports("avx512f") : avx2;
#else
    (void)isa;
    return 0;
#endif
}

int cnn_cpu_supported(int *supported) {
    if (supported == NULL) return CNN_E_NULL_POINTER;
    *supported = processor_has(CNN_ISA_AVX2);
    return CNN_OK;
}

int cnn_isa_supported(int isa, int *supported) {
    if (supported == NULL) return CNN_E_NULL_POINTER;
    if (isa != CNN_ISA_AUTO && isa != CNN_ISA_AVX2 && isa != CNN_ISA_AVX512) return CNN_E_INVALID_ARGUMENT;
    *supported = processor_has(isa == CNN_ISA_AUTO ? CNN_ISA_AVX2 : isa);
    return CNN_OK;
}

int cnn_context_create(int threads, cnn_context **out) { return cnn_context_create_isa(threads, CNN_ISA_AUTO, out); }

int cnn_context_create_isa(int threads, int isa, cnn_context **out) {
    if (out == NULL) return CNN_E_NULL_POINTER;
    *out = NULL;
    if (threads < 0) return CNN_E_INVALID_SIZE;
    if (isa != CNN_ISA_AUTO && isa != CNN_ISA_AVX2 && isa != CNN_ISA_AVX512) return CNN_E_INVALID_ARGUMENT;
    if (!processor_has(CNN_ISA_AVX2)) return CNN_E_UNSUPPORTED_CPU;
    if (isa == CNN_ISA_AUTO) isa = processor_has(CNN_ISA_AVX512) ? CNN_ISA_AVX512 : CNN_ISA_AVX2;
    if (!processor_has(isa)) return CNN_E_UNSUPPORTED_CPU;
    if (threads == 0) threads = usable_processors();
    cnn_context *ctx = (cnn_context *)calloc(1, sizeof *ctx);
    if (ctx == NULL) return CNN_E_OUT_OF_MEMORY;
    ctx->threads = threads;
    ctx->kernels = isa == CNN_ISA_AVX512 ? &cnn__kernels_avx512 : &cnn__kernels_avx2;
    int st = cnn__workers_create(threads - 1, &ctx->workers);
    if (st != CNN_OK) { free(ctx); return st; }
    *out = ctx;
    return CNN_OK;
}

int cnn_context_isa(const cnn_context *ctx, int *isa) {
    if (ctx == NULL || isa == NULL) return CNN_E_NULL_POINTER;
    *isa = ctx->kernels->isa;
    return CNN_OK;
}

int cnn_context_destroy(cnn_context *ctx) {
    if (ctx == NULL) return CNN_OK;
    cnn__workers_destroy(ctx->workers);
    free(ctx->workspace);
    free(ctx);
    return CNN_OK;
}

int cnn_context_threads(const cnn_context *ctx, int *threads) {
    if (ctx == NULL || threads == NULL) return CNN_E_NULL_POINTER;
    *threads = ctx->threads;
    return CNN_OK;
}

int cnn__reserve(cnn_context *ctx, size_t per_thread, size_t shared) {
    /* Round the per-thread region up to a cache line so threads never share one. */
    per_thread = (per_thread + 15) & ~(size_t)15;
    if (per_thread <= ctx->per_thread && shared <= ctx->shared && ctx->workspace != NULL) return CNN_OK;
    if (per_thread < ctx->per_thread) per_thread = ctx->per_thread;
    if (shared < ctx->shared) shared = ctx->shared;
    size_t floats = per_thread * (size_t)ctx->threads + shared;
    size_t bytes = ((floats * sizeof(float)) + 63) & ~(size_t)63;
    if (bytes == 0) bytes = 64;
    float *fresh = (float *)aligned_alloc(64, bytes);
    if (fresh == NULL) return CNN_E_OUT_OF_MEMORY;
    free(ctx->workspace);
    ctx->workspace = fresh;
    ctx->per_thread = per_thread;
    ctx->shared = shared;
    return CNN_OK;
}
