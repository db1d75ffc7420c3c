/* isa.h: what the files compiled once per instruction set share (CNN_ISA_SOURCES in CMakeLists.txt: gemm_kernels.c,
 * conv2d_kernels.c, kernels.c). CMake builds them twice, with -DCNN_BUILD_AVX2 (-mavx2 -mfma) and with
 * -DCNN_BUILD_AVX512 (-mavx512f); each build's external names carry its suffix (CNN_ISA), and context.c picks one
 * build's table (cnn_kernels, internal.h) per context. No other file may include this header: AVX-512 code must stay in the
 * functions only an AVX-512 context reaches.
 *
 * The kernels are written once over the vector width: vf is one vector of VF_LANES floats, and the GEMM's register
 * block is CNN_MR rows by CNN_NV vectors (CNN_NR = CNN_NV * VF_LANES columns). */
#ifndef CNN_ISA_H
#define CNN_ISA_H

#include "internal.h"
#include <immintrin.h>

#if defined(CNN_BUILD_AVX512)

#define CNN_ISA(name) name##_avx512
#define CNN_ISA_CODE CNN_ISA_AVX512
typedef __m512 vf;
#define VF_LANES 16
#define vf_zero() _mm512_setzero_ps()
#define vf_set1(x) _mm512_set1_ps(x)
#define vf_load(p) _mm512_loadu_ps(p)
#define vf_store(p, v) _mm512_storeu_ps((p), (v))
#define vf_add(a, b) _mm512_add_ps((a), (b))
#define vf_mul(a, b) _mm512_mul_ps((a), (b))
#define vf_fmadd(a, b, c) _mm512_fmadd_ps((a), (b), (c))
static inline __mmask16 vf_mask(int n) { return (__mmask16)((1u << n) - 1u); }
/* The first n (0..VF_LANES) lanes of p, zeros elsewhere; lanes past n are never read. */
static inline vf vf_load_n(const float *p, int n) { return _mm512_maskz_loadu_ps(vf_mask(n), p); }
/* Stores the first n lanes; memory past them is not touched. */
static inline void vf_store_n(float *p, vf v, int n) { _mm512_mask_storeu_ps(p, vf_mask(n), v); }
static inline float vf_sum(vf v) { return _mm512_reduce_add_ps(v); }

/* 8 rows x 2 vectors: 16 of the 32 zmm registers accumulate (twice the 4-cycle latency of two FMA pipes), 8 row
 * counts divide the channel counts of real layers (32, 64, 128) so no row of the tile is padding. */
#define CNN_MR 8
#define CNN_NV 2
#define CNN_KC 256
#define CNN_MC 120
#define CNN_NC 3072

#elif defined(CNN_BUILD_AVX2)

#define CNN_ISA(name) name##_avx2
#define CNN_ISA_CODE CNN_ISA_AVX2
typedef __m256 vf;
#define VF_LANES 8
#define vf_zero() _mm256_setzero_ps()
#define vf_set1(x) _mm256_set1_ps(x)
#define vf_load(p) _mm256_loadu_ps(p)
#define vf_store(p, v) _mm256_storeu_ps((p), (v))
#define vf_add(a, b) _mm256_add_ps((a), (b))
#define vf_mul(a, b) _mm256_mul_ps((a), (b))
#define vf_fmadd(a, b, c) _mm256_fmadd_ps((a), (b), (c))
static inline __m256i vf_mask(int n) {
    static const int32_t lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(lanes + 8 - n));
}
static inline vf vf_load_n(const float *p, int n) { return _mm256_maskload_ps(p, vf_mask(n)); }
static inline void vf_store_n(float *p, vf v, int n) { _mm256_maskstore_ps(p, vf_mask(n), v); }
static inline float vf_sum(vf v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 6 rows x 2 vectors: 12 of the 16 ymm registers accumulate, covering the 4-cycle FMA latency on two pipes. */
#define CNN_MR 6
#define CNN_NV 2
#define CNN_KC 256
#define CNN_MC 120
#define CNN_NC 3072

#else
#error "isa.h: compile with -DCNN_BUILD_AVX2 or -DCNN_BUILD_AVX512"
#endif

#define CNN_NR (CNN_NV * VF_LANES)

/* Floats of per-thread workspace the GEMM driver needs (packed A block, packed B panel). */
#define CNN_GEMM_WS ((size_t)CNN_MC * CNN_KC + (size_t)CNN_KC * (CNN_NC + CNN_NR))

/* ------------------------------------------------------------------------------- blocked GEMM driver */

/* Packs rows [i0, i0+mc) x depth [p0, p0+kc) of op(A) into CNN_MR-row panels (kc x MR each, zero-padded rows). */
typedef void (*cnn_pack_a_fn)(const void *self, int i0, int p0, int mc, int kc, float *dst);
/* Packs depth [p0, p0+kc) x columns [j0, j0+nc) of op(B) into CNN_NR-column strips (kc x NR each, zero-padded). */
typedef void (*cnn_pack_b_fn)(const void *self, int p0, int j0, int kc, int nc, float *dst);

/* A plain row-major matrix as a packing source: element (i, p) of op(A) is a[i*ld + p], or a[p*ld + i] when trans. */
typedef struct { const float *a; ptrdiff_t ld; int trans; } cnn_matrix;

/* The shared names get this build's suffix, so the two builds link side by side. */
#define cnn__pack_a_matrix CNN_ISA(cnn__pack_a_matrix)
#define cnn__pack_b_matrix CNN_ISA(cnn__pack_b_matrix)
#define cnn__gemm_blocked CNN_ISA(cnn__gemm_blocked)
#define cnn__gemm_run CNN_ISA(cnn__gemm_run)
#define cnn__conv2d_forward CNN_ISA(cnn__conv2d_forward)
#define cnn__conv2d_backward_data CNN_ISA(cnn__conv2d_backward_data)
#define cnn__conv2d_backward_filter CNN_ISA(cnn__conv2d_backward_filter)

void cnn__pack_a_matrix(const void *self, int i0, int p0, int mc, int kc, float *dst);
void cnn__pack_b_matrix(const void *self, int p0, int j0, int kc, int nc, float *dst);

/* C (m x n, leading dimension ldc) = alpha * op(A) op(B) + beta * C + row_bias[i] on the calling thread, with ws
 * holding CNN_GEMM_WS floats. beta == 0 never reads C; row_bias may be NULL. */
void cnn__gemm_blocked(int m, int n, int k, float alpha, cnn_pack_a_fn pack_a, const void *a_self, cnn_pack_b_fn pack_b,
                       const void *b_self, float beta, const float *row_bias, float *c, ptrdiff_t ldc, float *ws);

/* The table's entries (cnn_kernels, internal.h). */
int cnn__gemm_run(cnn_context *ctx, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                  const float *b, float beta, float *c);
int cnn__conv2d_forward(cnn_context *ctx, const cnn_conv_geom *g, const float *x, const float *w, const float *bias, float *y);
int cnn__conv2d_backward_data(cnn_context *ctx, const cnn_conv_geom *g, const float *dy, const float *w, float *dx);
int cnn__conv2d_backward_filter(cnn_context *ctx, const cnn_conv_geom *g, const float *x, const float *dy, float *dw, float *db);

#endif
