/* conv_bench: GFLOP/s of the convolution ops on the project's benchmark shapes (best of 3 after a warm-up).
 * Usage: conv_bench [threads]. FLOPs counted as 2 N K C R S P Q for each of the three ops. */
#define _POSIX_C_SOURCE 199309L
#include "cnn_native.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The machines are shared: with CNN_BENCH_CPU_TIME set, time is the process's CPU time divided by the thread
 * count, which estimates the uncontended speed when other jobs take cores away (it counts spin-waits too). */
static int threads_for_time = 1;
static double now(void) {
    struct timespec ts;
    if (getenv("CNN_BENCH_CPU_TIME")) {
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (ts.tv_sec + ts.tv_nsec * 1e-9) / threads_for_time;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 0;
    cnn_context *ctx;
    if (cnn_context_create(threads, &ctx) != CNN_OK) { fprintf(stderr, "no context\n"); return 1; }
    cnn_context_threads(ctx, &threads);
    threads_for_time = threads;
    cnn_conv2d_geometry shapes[] = {
        {64, 1, 28, 28, 32, 5, 5, 1, 1, 2, 2},
        {64, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2},
        {32, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1},
        {8, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1},
    };
    printf("threads=%d\n%-40s %10s %10s %10s\n", threads, "shape", "fwd", "bwd-data", "bwd-filt");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        cnn_conv2d_geometry g = shapes[i];
        int p = (g.h - g.r + 2 * g.pad_h) / g.stride_h + 1, q = (g.w - g.s + 2 * g.pad_w) / g.stride_w + 1;
        int64_t xl = (int64_t)g.n * g.c * g.h * g.w, wl = (int64_t)g.k * g.c * g.r * g.s, yl = (int64_t)g.n * g.k * p * q;
        float *x = malloc(xl * 4), *w = malloc(wl * 4), *y = malloc(yl * 4), *b = calloc(g.k, 4), *dw = calloc(wl, 4);
        for (int64_t j = 0; j < xl; j++) x[j] = (float)rand() / RAND_MAX - 0.5f;
        for (int64_t j = 0; j < wl; j++) w[j] = (float)rand() / RAND_MAX - 0.5f;
        for (int64_t j = 0; j < yl; j++) y[j] = (float)rand() / RAND_MAX - 0.5f;
        double flops = 2.0 * g.n * g.k * g.c * g.r * g.s * p * q, best[3] = {1e9, 1e9, 1e9};
        for (int rep = 0; rep < 4; rep++) {
            double t0 = now();
            cnn_conv2d_forward(ctx, &g, x, xl, w, wl, b, g.k, y, yl);
            double t1 = now();
            cnn_conv2d_backward_data(ctx, &g, y, yl, w, wl, x, xl);
            double t2 = now();
            cnn_conv2d_backward_filter(ctx, &g, x, xl, y, yl, dw, wl, b, g.k);
            double t3 = now();
            if (rep == 0) continue;
            if (t1 - t0 < best[0]) best[0] = t1 - t0;
            if (t2 - t1 < best[1]) best[1] = t2 - t1;
            if (t3 - t2 < best[2]) best[2] = t3 - t2;
        }
        char name[64];
        snprintf(name, sizeof name, "N=%d,C=%d,%dx%d,K=%d,%dx%d,pad%d", g.n, g.c, g.h, g.w, g.k, g.r, g.s, g.pad_h);
        printf("%-40s %10.1f %10.1f %10.1f\n", name, flops / best[0] * 1e-9, flops / best[1] * 1e-9, flops / best[2] * 1e-9);
        free(x); free(w); free(y); free(b); free(dw);
    }
    cnn_context_destroy(ctx);
    return 0;
}
