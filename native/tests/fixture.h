/* fixture.h: what the op tests share: a context per test, random data, and a tolerance comparison. */
#pragma once
#include <gtest/gtest.h>
#include <cmath>
#include <random>
#include <vector>
#include "cnn_native.h"

class NativeTest : public ::testing::Test {
protected:
    cnn_context *ctx = nullptr;
    std::mt19937 rng{1234};
    void SetUp() override { ASSERT_EQ(cnn_context_create(2, &ctx), CNN_OK); }
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
