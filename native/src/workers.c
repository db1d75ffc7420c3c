/* workers.c: the context's worker threads, a small persistent pool that runs one parallel loop at a time.
 *
 * Why not OpenMP: libgomp keeps a team of threads per calling thread (the C# device calls from whichever thread
 * holds its op lock, so every such thread grew its own team) and, after each parallel region, its threads spin
 * for GOMP_SPINCOUNT (milliseconds) before sleeping, which on a machine shared with other work takes the cores
 * the caller and the other jobs need. Here a context owns threads - 1 helper threads; the calling thread is worker
 * 0 and takes part, helpers spin for at most CNN_SPIN_NS after their last task (so back-to-back ops of one
 * forward pass find them awake) and then sleep on a condition variable.
 *
 * Tasks are claimed one at a time from one 64-bit word, [generation:16][count:24][next:24], so one compare-and-swap
 * both checks that the loop is still the current one and claims its next task: a helper that wakes late can only
 * claim tasks of the loop that is running, never run a finished loop's body. The caller hands out tasks too and
 * waits only for tasks that were claimed, so a helper the system has descheduled delays nothing it did not take. */
#define _GNU_SOURCE
#include "internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* How long a helper keeps looking for the next loop before it sleeps: long enough for the back-to-back ops of a
 * forward pass (microseconds apart), short enough not to take a core from other work. A sleeping helper costs
 * little anyway: the caller claims the tasks itself until the helper is awake. (Interleaved A/B of 0, 20 us,
 * 100 us and 1 ms on a loaded 2-core machine: convnet and lenet5 inference within noise of each other.) */
#define CNN_SPIN_NS 20000

/* Tasks of one round of the state word; cnn__parallel_for runs longer loops in rounds. */
#define MAX_TASKS ((1 << 24) - 1)

struct cnn_workers {
    int helpers;
    pthread_t *threads;
    /* The running loop, written by the caller before it publishes the loop's state word. */
    cnn_task_fn fn;
    const void *arg;
    int base; /* task index of the round's first task */
    _Atomic uint64_t state;
    _Atomic int done;
    _Atomic int sleepers;
    _Atomic int stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

typedef struct { cnn_workers *pool; int worker; } helper_start;

static inline uint32_t state_gen(uint64_t s) { return (uint32_t)(s >> 48); }
static inline int state_count(uint64_t s) { return (int)((s >> 24) & MAX_TASKS); }
static inline int state_next(uint64_t s) { return (int)(s & MAX_TASKS); }

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Claims and runs tasks of the current loop until none is left. */
static void run_tasks(cnn_workers *pool, int worker) {
    uint64_t s = atomic_load_explicit(&pool->state, memory_order_acquire);
    while (state_next(s) < state_count(s)) {
        if (!atomic_compare_exchange_weak_explicit(&pool->state, &s, s + 1, memory_order_acq_rel, memory_order_acquire))
            continue;
        pool->fn(pool->arg, pool->base + state_next(s), worker);
        atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
        s = atomic_load_explicit(&pool->state, memory_order_acquire);
    }
}

/* Waits until the state word carries a generation other than `seen` (or stop); returns that generation. */
static uint32_t wait_for_loop(cnn_workers *pool, uint32_t seen) {
    int64_t deadline = 0;
    for (unsigned spins = 0;; spins++) {
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return seen;
        uint32_t g = state_gen(atomic_load_explicit(&pool->state, memory_order_acquire));
        if (g != seen) return g;
        CPU_RELAX();
        if ((spins & 255) == 0) {
            int64_t t = monotonic_ns();
            if (deadline == 0) deadline = t + CNN_SPIN_NS;
            else if (t > deadline) break;
        }
    }
    pthread_mutex_lock(&pool->lock);
    atomic_fetch_add(&pool->sleepers, 1);
    uint32_t g;
    /* seq_cst: either the caller sees this sleeper and signals, or this check sees its new generation. */
    while ((g = state_gen(atomic_load(&pool->state))) == seen && !atomic_load(&pool->stop))
        pthread_cond_wait(&pool->wake, &pool->lock);
    atomic_fetch_sub(&pool->sleepers, 1);
    pthread_mutex_unlock(&pool->lock);
    return g;
}

static void *helper_main(void *p) {
    helper_start start = *(helper_start *)p;
    free(p);
    cnn_workers *pool = start.pool;
    uint32_t seen = state_gen(atomic_load(&pool->state));
    for (;;) {
        seen = wait_for_loop(pool, seen);
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
        run_tasks(pool, start.worker);
    }
}

int cnn__workers_create(int helpers, cnn_workers **out) {
    *out = NULL;
    if (helpers <= 0) return CNN_OK;
    cnn_workers *pool = (cnn_workers *)calloc(1, sizeof *pool);
    if (pool == NULL) return CNN_E_OUT_OF_MEMORY;
    pool->threads = (pthread_t *)calloc((size_t)helpers, sizeof(pthread_t));
    if (pool->threads == NULL || pthread_mutex_init(&pool->lock, NULL) != 0) { free(pool->threads); free(pool); return CNN_E_OUT_OF_MEMORY; }
    if (pthread_cond_init(&pool->wake, NULL) != 0) {
        pthread_mutex_destroy(&pool->lock);
        free(pool->threads);
        free(pool);
        return CNN_E_OUT_OF_MEMORY;
    }
    for (int i = 0; i < helpers; i++) {
        helper_start *start = (helper_start *)malloc(sizeof *start);
        if (start != NULL) { start->pool = pool; start->worker = i + 1; }
        if (start == NULL || pthread_create(&pool->threads[i], NULL, helper_main, start) != 0) {
            free(start);
            pool->helpers = i;
            cnn__workers_destroy(pool);
            return CNN_E_OUT_OF_MEMORY;
        }
        pool->helpers = i + 1;
    }
    return CNN_OK;
}

void cnn__workers_destroy(cnn_workers *pool) {
    if (pool == NULL) return;
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->stop, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->helpers; i++) pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    free(pool->threads);
    free(pool);
}

/* One round: tasks [base, base + count) with count <= MAX_TASKS. */
static void run_round(cnn_workers *pool, int base, int count, cnn_task_fn fn, const void *arg) {
    pool->fn = fn;
    pool->arg = arg;
    pool->base = base;
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    uint32_t gen = (state_gen(atomic_load_explicit(&pool->state, memory_order_relaxed)) + 1) & 0xFFFF;
    atomic_store(&pool->state, ((uint64_t)gen << 48) | ((uint64_t)count << 24));
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
    run_tasks(pool, 0);
    /* Every task is claimed; wait for the ones helpers are still running (yielding if one was descheduled). */
    for (unsigned spins = 0; atomic_load_explicit(&pool->done, memory_order_acquire) < count; spins++) {
        if (spins < 4096) CPU_RELAX();
        else sched_yield();
    }
}

void cnn__parallel_for(cnn_context *ctx, int tasks, cnn_task_fn fn, const void *arg) {
    if (tasks <= 0) return;
    if (tasks == 1 || ctx->workers == NULL) {
        for (int t = 0; t < tasks; t++) fn(arg, t, 0);
        return;
    }
    for (int base = 0; base < tasks; base += MAX_TASKS)
        run_round(ctx->workers, base, tasks - base < MAX_TASKS ? tasks - base : MAX_TASKS, fn, arg);
}

/* ------------------------------------------------------------------------------------------ ranges */

typedef struct { cnn_range_fn fn; const void *arg; int64_t length, chunk; } range_loop;

static void range_task(const void *p, int task, int worker) {
    (void)worker;
    const range_loop *r = (const range_loop *)p;
    int64_t begin = (int64_t)task * r->chunk, end = begin + r->chunk < r->length ? begin + r->chunk : r->length;
    r->fn(r->arg, begin, end);
}

void cnn__parallel_range(cnn_context *ctx, int64_t length, int64_t min_parallel, cnn_range_fn fn, const void *arg) {
    if (length <= 0) return;
    if (length < min_parallel || ctx->threads == 1) { fn(arg, 0, length); return; }
    /* A few chunks per thread, so that a descheduled helper leaves its share to the others; whole cache lines. */
    int64_t chunks = (int64_t)ctx->threads * 4;
    int64_t chunk = ((length + chunks - 1) / chunks + 15) & ~(int64_t)15;
    if (chunk < min_parallel / 4) chunk = min_parallel / 4;
    range_loop r = {fn, arg, length, chunk};
    cnn__parallel_for(ctx, (int)((length + chunk - 1) / chunk), range_task, &r);
}
