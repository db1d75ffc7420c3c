/* ab_bench: an interleaved A/B comparison of two builds or two instruction sets of libcnnnative in one process.
 *
 * Usage: ab_bench A B [seconds-per-measure] [threads] [filter]
 *   A and B are LIBRARY[:ISA], e.g. /tmp/base/libcnnnative.so build/native/lib/libcnnnative.so:avx2; ISA is auto,
 *   avx2 or avx512 (a library without cnn_context_create_isa only takes auto). filter keeps the measures whose name
 *   contains it. Both libraries are loaded with dlopen (RTLD_LOCAL), so their symbols do not clash.
 *
 * Each measure alternates A and B (ABBA order) until its time is spent, then prints each side's minimum and first
 * quartile and B's speed relative to A's (A time / B time at the first quartile: > 1 means B is faster). Alternating
 * within one process is what makes the comparison fair on a shared, noisy machine: both sides see the same noise.
 *
 * Measures: the three convolution ops on the benchmark shapes (GFLOP/s), pooling 2x2 s2 and 3x3 s2 forward and
 * backward (GB/s over the bytes each op must move), GEMM 1024^3, and the inference of the built-in models lenet5
 * and convnet at batch 1 and 256 as the C# layers run it (conv + bias, relu, pool, gemm + bias rows, softmax). */
#define _POSIX_C_SOURCE 199309L
#include "cnn_native.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------------------------ the two sides */

typedef struct {
    const char *label;
    int (*context_create)(int, cnn_context **);
    int (*context_create_isa)(int, int, cnn_context **);
    int (*context_destroy)(cnn_context *);
    int (*conv_fwd)(cnn_context *, const cnn_conv2d_geometry *, const float *, int64_t, const float *, int64_t, const float *,
                    int64_t, float *, int64_t);
    int (*conv_bwd_data)(cnn_context *, const cnn_conv2d_geometry *, const float *, int64_t, const float *, int64_t, float *,
                         int64_t);
    int (*conv_bwd_filter)(cnn_context *, const cnn_conv2d_geometry *, const float *, int64_t, const float *, int64_t, float *,
                           int64_t, float *, int64_t);
    int (*pool_fwd)(cnn_context *, const cnn_pool2d_geometry *, int, const float *, int64_t, float *, int64_t);
    int (*pool_bwd)(cnn_context *, const cnn_pool2d_geometry *, int, const float *, int64_t, const float *, int64_t, float *,
                    int64_t);
    int (*gemm)(cnn_context *, int, int, int, int, int, float, const float *, int64_t, const float *, int64_t, float, float *,
                int64_t);
    int (*add_bias_rows)(cnn_context *, int, int, const float *, int64_t, float *, int64_t);
    int (*activation_fwd)(cnn_context *, int, int64_t, const float *, int64_t, float *, int64_t);
    int (*softmax_fwd)(cnn_context *, int, int, const float *, int64_t, float *, int64_t);
    cnn_context *ctx;
} side;

static void *need(void *lib, const char *name) {
    void *f = dlsym(lib, name);
    if (f == NULL) { fprintf(stderr, "missing %s\n", name); exit(2); }
    return f;
}

static void open_side(side *s, const char *spec, int threads) {
    char path[4096];
    snprintf(path, sizeof path, "%s", spec);
    int isa = CNN_ISA_AUTO;
    char *colon = strrchr(path, ':');
    if (colon != NULL) {
        *colon = 0;
        isa = strcmp(colon + 1, "avx2") == 0 ? CNN_ISA_AVX2 : strcmp(colon + 1, "avx512") == 0 ? CNN_ISA_AVX512 : CNN_ISA_AUTO;
    }
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) { fprintf(stderr, "%s\n", dlerror()); exit(2); }
    s->label = spec;
    *(void **)&s->context_create = need(lib, "cnn_context_create");
    *(void **)&s->context_create_isa = dlsym(lib, "cnn_context_create_isa");
    *(void **)&s->context_destroy = need(lib, "cnn_context_destroy");
    *(void **)&s->conv_fwd = need(lib, "cnn_conv2d_forward");
    *(void **)&s->conv_bwd_data = need(lib, "cnn_conv2d_backward_data");
    *(void **)&s->conv_bwd_filter = need(lib, "cnn_conv2d_backward_filter");
    *(void **)&s->pool_fwd = need(lib, "cnn_pool2d_forward");
    *(void **)&s->pool_bwd = need(lib, "cnn_pool2d_backward");
    *(void **)&s->gemm = need(lib, "cnn_gemm");
    *(void **)&s->add_bias_rows = need(lib, "cnn_add_bias_rows");
    *(void **)&s->activation_fwd = need(lib, "cnn_activation_forward");
    *(void **)&s->softmax_fwd = need(lib, "cnn_softmax_forward");
    int st;
    if (isa != CNN_ISA_AUTO) {
        if (s->context_create_isa == NULL) { fprintf(stderr, "%s cannot choose an ISA\n", path); exit(2); }
        st = s->context_create_isa(threads, isa, &s->ctx);
    } else {
        st = s->context_create(threads, &s->ctx);
    }
    if (st != CNN_OK) { fprintf(stderr, "%s: context status %d\n", spec, st); exit(2); }
}

/* ------------------------------------------------------------------------------------------------ timing */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double seconds_per_measure = 2.0;
static const char *filter = NULL;

typedef void (*workload)(side *s, void *arg);

/* Runs A and B alternately (A B B A ...) after one warm-up each; prints min and p25 per side. `amount` is what
 * one run does (FLOPs or bytes) and `unit` its rate's name; with amount 0 times are printed in ms. */
static void measure(const char *name, side *a, side *b, workload run, void *arg, double amount, const char *unit) {
    if (filter != NULL && strstr(name, filter) == NULL) return;
    enum { MAX_RUNS = 4000 };
    static double ta[MAX_RUNS], tb[MAX_RUNS];
    run(a, arg);
    run(b, arg);
    int n = 0;
    double start = now();
    while (n < MAX_RUNS && (n < 6 || now() - start < seconds_per_measure)) {
        side *first = n % 2 ? b : a, *second = n % 2 ? a : b;
        double t0 = now();
        run(first, arg);
        double t1 = now();
        run(second, arg);
        double t2 = now();
        (first == a ? ta : tb)[n] = t1 - t0;
        (first == a ? tb : ta)[n] = t2 - t1;
        n++;
    }
    qsort(ta, n, sizeof *ta, cmp_double);
    qsort(tb, n, sizeof *tb, cmp_double);
    double a25 = ta[n / 4], b25 = tb[n / 4];
    if (amount > 0)
        printf("%-44s A %8.1f / %8.1f  B %8.1f / %8.1f %s (max / p25)  B/A %.2fx  runs %d\n", name, amount / ta[0] * 1e-9,
               amount / a25 * 1e-9, amount / tb[0] * 1e-9, amount / b25 * 1e-9, unit, a25 / b25, n);
    else
        printf("%-44s A %8.3f / %8.3f  B %8.3f / %8.3f ms (min / p25)  B/A %.2fx  runs %d\n", name, ta[0] * 1e3, a25 * 1e3,
               tb[0] * 1e3, b25 * 1e3, a25 / b25, n);
    fflush(stdout);
}

static float *random_floats(int64_t n) {
    float *v = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = (float)rand() / RAND_MAX - 0.5f;
    return v;
}

/* ------------------------------------------------------------------------------------------- convolution */

typedef struct {
    cnn_conv2d_geometry g;
    int op; /* 0 forward, 1 backward data, 2 backward filter */
    float *x, *w, *b, *y, *dw;
    int64_t xl, wl, yl;
} conv_case;

static void run_conv(side *s, void *p) {
    conv_case *c = p;
    if (c->op == 0) s->conv_fwd(s->ctx, &c->g, c->x, c->xl, c->w, c->wl, c->b, c->g.k, c->y, c->yl);
    else if (c->op == 1) s->conv_bwd_data(s->ctx, &c->g, c->y, c->yl, c->w, c->wl, c->x, c->xl);
    else s->conv_bwd_filter(s->ctx, &c->g, c->x, c->xl, c->y, c->yl, c->dw, c->wl, c->b, c->g.k);
}

static void bench_convolutions(side *a, side *b) {
    static const cnn_conv2d_geometry shapes[] = {
        {64, 1, 28, 28, 32, 5, 5, 1, 1, 2, 2},
        {64, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2},
        {32, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1},
        {8, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1},
    };
    static const char *ops[] = {"fwd", "bwd-data", "bwd-filter"};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        conv_case c = {.g = shapes[i]};
        const cnn_conv2d_geometry *g = &c.g;
        int p = (g->h - g->r + 2 * g->pad_h) / g->stride_h + 1, q = (g->w - g->s + 2 * g->pad_w) / g->stride_w + 1;
        c.xl = (int64_t)g->n * g->c * g->h * g->w;
        c.wl = (int64_t)g->k * g->c * g->r * g->s;
        c.yl = (int64_t)g->n * g->k * p * q;
        c.x = random_floats(c.xl); c.w = random_floats(c.wl); c.y = random_floats(c.yl);
        c.b = calloc((size_t)g->k, sizeof(float)); c.dw = calloc((size_t)c.wl, sizeof(float));
        double flops = 2.0 * g->n * g->k * g->c * g->r * g->s * p * q;
        for (c.op = 0; c.op < 3; c.op++) {
            char name[96];
            snprintf(name, sizeof name, "conv %s N%d C%d %dx%d K%d %dx%d", ops[c.op], g->n, g->c, g->h, g->w, g->k, g->r, g->s);
            measure(name, a, b, run_conv, &c, flops, "GFLOP/s");
        }
        free(c.x); free(c.w); free(c.y); free(c.b); free(c.dw);
    }
}

/* --------------------------------------------------------------------------------------------- pooling */

typedef struct {
    cnn_pool2d_geometry g;
    int mode, backward;
    float *x, *y, *dx;
    int64_t xl, yl;
} pool_case;

static void run_pool(side *s, void *p) {
    pool_case *c = p;
    if (c->backward) s->pool_bwd(s->ctx, &c->g, c->mode, c->x, c->xl, c->y, c->yl, c->dx, c->xl);
    else s->pool_fwd(s->ctx, &c->g, c->mode, c->x, c->xl, c->y, c->yl);
}

static void bench_pooling(side *a, side *b) {
    static const cnn_pool2d_geometry shapes[] = {{64, 32, 28, 28, 2, 2, 2, 2}, {64, 32, 28, 28, 3, 3, 2, 2}, {1, 64, 14, 14, 2, 2, 2, 2}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        pool_case c = {.g = shapes[i]};
        int p = (c.g.h - c.g.r) / c.g.stride_h + 1, q = (c.g.w - c.g.s) / c.g.stride_w + 1;
        c.xl = (int64_t)c.g.n * c.g.c * c.g.h * c.g.w;
        c.yl = (int64_t)c.g.n * c.g.c * p * q;
        c.x = random_floats(c.xl); c.y = random_floats(c.yl); c.dx = random_floats(c.xl);
        for (c.mode = 0; c.mode < 2; c.mode++)
            for (c.backward = 0; c.backward < 2; c.backward++) {
                char name[96];
                snprintf(name, sizeof name, "pool %s %s N%d C%d %dx%d %dx%d s%d", c.mode ? "avg" : "max", c.backward ? "bwd" : "fwd",
                         c.g.n, c.g.c, c.g.h, c.g.w, c.g.r, c.g.s, c.g.stride_h);
                /* forward reads x and writes y; backward reads x (max only) and dy, and writes dx */
                double bytes = 4.0 * (c.backward ? (c.mode ? 0 : c.xl) + c.yl + c.xl : c.xl + c.yl);
                measure(name, a, b, run_pool, &c, bytes, "GB/s   ");
            }
        free(c.x); free(c.y); free(c.dx);
    }
}

/* ------------------------------------------------------------------------------------------------ GEMM */

typedef struct { int m, n, k, ta, tb; float *a, *b, *c; } gemm_case;

static void run_gemm(side *s, void *p) {
    gemm_case *c = p;
    s->gemm(s->ctx, c->ta, c->tb, c->m, c->n, c->k, 1.0f, c->a, (int64_t)c->m * c->k, c->b, (int64_t)c->k * c->n, 0.0f, c->c,
            (int64_t)c->m * c->n);
}

static void bench_gemm(side *a, side *b) {
    static const int shapes[][5] = {{1024, 1024, 1024, 0, 0}, {64, 1024, 3136, 0, 1}, {1, 1024, 3136, 0, 1}, {1024, 3136, 64, 1, 0}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        gemm_case c = {shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3], shapes[i][4], NULL, NULL, NULL};
        c.a = random_floats((int64_t)c.m * c.k); c.b = random_floats((int64_t)c.k * c.n); c.c = random_floats((int64_t)c.m * c.n);
        char name[96];
        snprintf(name, sizeof name, "gemm m%d n%d k%d%s%s", c.m, c.n, c.k, c.ta ? " A^T" : "", c.tb ? " B^T" : "");
        measure(name, a, b, run_gemm, &c, 2.0 * c.m * c.n * c.k, "GFLOP/s");
        free(c.a); free(c.b); free(c.c);
    }
}

/* ------------------------------------------------------------------------------------- model inference */

/* A layer of a built-in model, as the C# layers call the device. */
typedef struct { char kind; int a, b, c; } layer; /* 'c' conv (filters, kernel, pad), 'r' relu, 'p' maxpool 2, 'd' dense (units), 's' softmax */

typedef struct {
    int batch, nlayers;
    const layer *layers;
    float *act[2];
    float *params[16];
} model_case;

static void run_model(side *s, void *p) {
    model_case *m = p;
    int c = 1, h = 28, w = 28, cur = 0;
    int64_t cap = (int64_t)m->batch * 32 * 28 * 28;
    for (int i = 0; i < m->nlayers; i++) {
        const layer *l = &m->layers[i];
        float *x = m->act[cur], *y = m->act[1 - cur];
        int64_t count = (int64_t)m->batch * c * h * w;
        switch (l->kind) {
        case 'c': {
            cnn_conv2d_geometry g = {m->batch, c, h, w, l->a, l->b, l->b, 1, 1, l->c, l->c};
            int oh = h + 2 * l->c - l->b + 1, ow = w + 2 * l->c - l->b + 1;
            s->conv_fwd(s->ctx, &g, x, cap, m->params[i], (int64_t)l->a * c * l->b * l->b, m->params[i] + (int64_t)l->a * c * l->b * l->b,
                        l->a, y, cap);
            c = l->a; h = oh; w = ow; cur = 1 - cur;
            break;
        }
        case 'r': s->activation_fwd(s->ctx, CNN_ACTIVATION_RELU, count, x, cap, x, cap); break;
        case 'p': {
            cnn_pool2d_geometry g = {m->batch, c, h, w, 2, 2, 2, 2};
            s->pool_fwd(s->ctx, &g, CNN_POOL_MAX, x, cap, y, cap);
            h /= 2; w /= 2; cur = 1 - cur;
            break;
        }
        case 'd': {
            int features = c * h * w;
            s->gemm(s->ctx, 0, 1, m->batch, l->a, features, 1.0f, x, cap, m->params[i], (int64_t)l->a * features, 0.0f, y, cap);
            s->add_bias_rows(s->ctx, m->batch, l->a, m->params[i] + (int64_t)l->a * features, l->a, y, cap);
            c = l->a; h = w = 1; cur = 1 - cur;
            break;
        }
        default:
            s->softmax_fwd(s->ctx, m->batch, c, x, cap, y, cap);
            cur = 1 - cur;
            break;
        }
    }
}

static void bench_models(side *a, side *b) {
    static const layer lenet5[] = {{'c', 6, 5, 2}, {'r'}, {'p'}, {'c', 16, 5, 0}, {'r'}, {'p'}, {'d', 120}, {'r'}, {'d', 84}, {'r'}, {'d', 10}, {'s'}};
    static const layer convnet[] = {{'c', 32, 5, 2}, {'r'}, {'p'}, {'c', 64, 5, 2}, {'r'}, {'p'}, {'d', 1024}, {'r'}, {'d', 10}, {'s'}};
    struct { const char *name; const layer *layers; int n; } models[] = {{"lenet5", lenet5, 12}, {"convnet", convnet, 10}};
    for (int mi = 0; mi < 2; mi++)
        for (int batch = 1; batch <= 256; batch *= 256) {
            model_case m = {batch, models[mi].n, models[mi].layers, {NULL, NULL}, {NULL}};
            int64_t cap = (int64_t)batch * 32 * 28 * 28;
            m.act[0] = random_floats(cap); m.act[1] = random_floats(cap);
            int c = 1, h = 28, w = 28;
            for (int i = 0; i < m.nlayers; i++) {
                const layer *l = &m.layers[i];
                if (l->kind == 'c') {
                    m.params[i] = random_floats((int64_t)l->a * c * l->b * l->b + l->a);
                    h = h + 2 * l->c - l->b + 1; w = w + 2 * l->c - l->b + 1; c = l->a;
                } else if (l->kind == 'p') { h /= 2; w /= 2; }
                else if (l->kind == 'd') { m.params[i] = random_floats((int64_t)l->a * c * h * w + l->a); c = l->a; h = w = 1; }
            }
            char name[96];
            snprintf(name, sizeof name, "%s inference batch %d", models[mi].name, batch);
            measure(name, a, b, run_model, &m, 0, "");
            free(m.act[0]); free(m.act[1]);
            for (int i = 0; i < m.nlayers; i++) free(m.params[i]);
        }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: ab_bench LIBRARY[:ISA] LIBRARY[:ISA] [seconds-per-measure] [threads] [filter]\n");
        return 2;
    }
    if (argc > 3) seconds_per_measure = atof(argv[3]);
    int threads = argc > 4 ? atoi(argv[4]) : 0;
    if (argc > 5) filter = argv[5];
    side a, b;
    open_side(&a, argv[1], threads);
    open_side(&b, argv[2], threads);
    printf("A = %s\nB = %s\n%.1f s per measure, threads %d\n", a.label, b.label, seconds_per_measure, threads);
    srand(1);
    bench_models(&a, &b);
    bench_convolutions(&a, &b);
    bench_pooling(&a, &b);
    bench_gemm(&a, &b);
    a.context_destroy(a.ctx);
    b.context_destroy(b.ctx);
    return 0;
}
