/* fixture.h: what the op tests share: a context per test (on the instruction set under test), random data, and a
 * tolerance comparison. */
#pragma once
#include <gtest/gtest.h>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>
#include "cnn_native.h"

/* The instruction set the tests' contexts use: CNN_TEST_ISA=avx2 (CTest's avx2.* run) or avx512, else the default. */
inline int TestIsa() {
    const char *isa = std::getenv("CNN_TEST_ISA");
    if (isa == nullptr) return CNN_ISA_AUTO;
    return std::strcmp(isa, "avx2") == 0 ? CNN_ISA_AVX2 : std::strcmp(isa, "avx512") == 0 ? CNN_ISA_AVX512 : -1;
}

/* A context of `threads` threads on the tests' instruction set. */
inline int CreateTestContext(int threads, cnn_context **ctx) { return cnn_context_create_isa(threads, TestIsa(), ctx); }

class NativeTest : public ::testing::Test {
protected:
    cnn_context *ctx = nullptr;
    std::mt19937 rng{1234};
    void SetUp() override { ASSERT_EQ(CreateTestContext(2, &ctx), CNN_OK); }
    void TearDown() override { cnn_context_destroy(ctx); }

    std::vector<float> Random(size_t n, float lo = -1.0f, float hi = 1.0f) {
        std::uniform_real_distribution<float> d(lo, hi);
        std::vector<float> v(n);
        for (auto &x : v) x = d(rng);
        return v;
    }
};

/* |actual - expected| <= tol * (1 + |expected|) element by element, reporting the first failure's index. */
inline void ExpectClose(const std::vector<float> &actual, const std::vector<double> &expected, double tol) {
    ASSERT_GE(actual.size(), expected.size());
    for (size_t i = 0; i < expected.size(); i++)
        if (!(std::fabs(actual[i] - expected[i]) <= tol * (1 + std::fabs(expected[i]))))
            FAIL() << "element " << i << ": got " << actual[i] << ", expected " << expected[i];
}
