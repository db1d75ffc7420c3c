#include <gtest/gtest.h>
#include "cnn_native.h"

TEST(Context, CreatesWithTheRequestedThreadCount) {
    cnn_context *ctx = nullptr;
    ASSERT_EQ(cnn_context_create(2, &ctx), CNN_OK);
    int threads = 0;
    EXPECT_EQ(cnn_context_threads(ctx, &threads), CNN_OK);
    EXPECT_EQ(threads, 2);
    EXPECT_EQ(cnn_context_destroy(ctx), CNN_OK);
}

TEST(Context, ZeroThreadsMeansEveryProcessor) {
    cnn_context *ctx = nullptr;
    ASSERT_EQ(cnn_context_create(0, &ctx), CNN_OK);
    int threads = 0;
    EXPECT_EQ(cnn_context_threads(ctx, &threads), CNN_OK);
    EXPECT_GE(threads, 1);
    cnn_context_destroy(ctx);
}

TEST(Context, RejectsBadArguments) {
    cnn_context *ctx = reinterpret_cast<cnn_context *>(0x1);
    EXPECT_EQ(cnn_context_create(-1, &ctx), CNN_E_INVALID_SIZE);
    EXPECT_EQ(ctx, nullptr);
    EXPECT_EQ(cnn_context_create(1, nullptr), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_context_destroy(nullptr), CNN_OK);
    int threads;
    EXPECT_EQ(cnn_context_threads(nullptr, &threads), CNN_E_NULL_POINTER);
}

TEST(Context, CpuCheckAgreesWithTheCompiler) {
    int ok = -1;
    ASSERT_EQ(cnn_cpu_supported(&ok), CNN_OK);
    __builtin_cpu_init();
    EXPECT_EQ(ok, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0);
    EXPECT_EQ(cnn_cpu_supported(nullptr), CNN_E_NULL_POINTER);
}

TEST(Context, EveryOpRejectsANullContext) {
    float x[4] = {};
    float loss;
    int correct;
    cnn_conv2d_geometry cg = {1, 1, 2, 2, 1, 1, 1, 1, 1, 0, 0};
    cnn_pool2d_geometry pg = {1, 1, 2, 2, 1, 1, 1, 1};
    EXPECT_EQ(cnn_fill(nullptr, 4, 0, x, 4), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_copy(nullptr, 4, x, 4, x, 4), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_gemm(nullptr, 0, 0, 1, 1, 1, 1, x, 4, x, 4, 0, x, 4), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_conv2d_forward(nullptr, &cg, x, 4, x, 4, nullptr, 0, x, 4), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_pool2d_forward(nullptr, &pg, CNN_POOL_MAX, x, 4, x, 4), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_softmax_cross_entropy(nullptr, 1, 4, x, 4, x, 4, x, 4, 1, &loss), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_count_correct(nullptr, 1, 4, x, 4, x, 4, &correct), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_sgd_step(nullptr, 4, x, 4, x, 4, nullptr, 0, 0.1f, 0, 0, 0), CNN_E_NULL_POINTER);
}
