#include "fixture.h"
#include <tuple>

using Gemm = NativeTest;

TEST_F(Gemm, TwoByTwoByHand) {
    std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8}, c = {1, 1, 1, 1};
    ASSERT_EQ(cnn_gemm(ctx, 0, 0, 2, 2, 2, 1.0f, a.data(), 4, b.data(), 4, 2.0f, c.data(), 4), CNN_OK);
    EXPECT_EQ(c, (std::vector<float>{21, 24, 45, 52}));
    ASSERT_EQ(cnn_gemm(ctx, 1, 0, 2, 2, 2, 1.0f, a.data(), 4, b.data(), 4, 0.0f, c.data(), 4), CNN_OK);
    EXPECT_EQ(c, (std::vector<float>{26, 30, 38, 44}));
}

TEST_F(Gemm, BetaZeroIgnoresNaN) {
    std::vector<float> a = {1, 2}, b = {3, 4}, c = {NAN};
    ASSERT_EQ(cnn_gemm(ctx, 0, 0, 1, 1, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 1), CNN_OK);
    EXPECT_EQ(c[0], 11.0f);
}

TEST_F(Gemm, ZeroDepthScalesC) {
    std::vector<float> a(1), b(1), c = {3, NAN};
    ASSERT_EQ(cnn_gemm(ctx, 0, 0, 1, 1, 0, 1.0f, a.data(), 0, b.data(), 0, 2.0f, c.data(), 1), CNN_OK);
    EXPECT_EQ(c[0], 6.0f);
}

class GemmShapes : public NativeTest, public ::testing::WithParamInterface<std::tuple<int, int, int, int, int>> {};

// Shapes straddle every blocking edge: both builds' register tiles (AVX2 6x16, AVX-512 8x32), KC = 256 and MC = 120,
// both thread splits, and the unpacked path of at most 4 rows (B transposed or not, A transposed or not, vector
// tails along k and n, one thread or split by columns).
TEST_P(GemmShapes, MatchesTheNaiveTripleLoop) {
    auto [m, n, k, ta, tb] = GetParam();
    auto a = Random((size_t)m * k), b = Random((size_t)k * n), c = Random((size_t)m * n);
    float alpha = 0.75f, beta = -0.5f;
    std::vector<double> expected((size_t)m * n);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++)
                s += (double)(ta ? a[(size_t)p * m + i] : a[(size_t)i * k + p]) * (tb ? b[(size_t)j * k + p] : b[(size_t)p * n + j]);
            expected[(size_t)i * n + j] = alpha * s + beta * c[(size_t)i * n + j];
        }
    ASSERT_EQ(cnn_gemm(ctx, ta, tb, m, n, k, alpha, a.data(), a.size(), b.data(), b.size(), beta, c.data(), c.size()), CNN_OK);
    ExpectClose(c, expected, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(All, GemmShapes, ::testing::Values(
    std::make_tuple(1, 1, 1, 0, 0), std::make_tuple(7, 17, 5, 0, 0), std::make_tuple(6, 16, 3, 1, 1),
    std::make_tuple(64, 10, 300, 0, 1), std::make_tuple(130, 33, 257, 1, 0), std::make_tuple(13, 200, 520, 1, 1),
    std::make_tuple(121, 129, 64, 0, 0), std::make_tuple(64, 3100, 20, 0, 0), std::make_tuple(9, 33, 5, 0, 0),
    std::make_tuple(17, 65, 257, 1, 0), std::make_tuple(5, 31, 40, 0, 1), std::make_tuple(1, 1024, 3136, 0, 1),
    std::make_tuple(2, 37, 19, 1, 1), std::make_tuple(3, 70, 33, 0, 0), std::make_tuple(4, 1000, 300, 1, 0),
    std::make_tuple(1, 5, 7, 0, 1), std::make_tuple(4, 3, 17, 0, 1), std::make_tuple(1, 700, 2000, 1, 0)));

TEST_F(Gemm, BiasRowsAndSumRows) {
    std::vector<float> y = {1, 2, 3, 4, 5, 6}, bias = {10, 20, 30}, sums = {1, 1, 1};
    ASSERT_EQ(cnn_add_bias_rows(ctx, 2, 3, bias.data(), 3, y.data(), 6), CNN_OK);
    EXPECT_EQ(y, (std::vector<float>{11, 22, 33, 14, 25, 36}));
    ASSERT_EQ(cnn_sum_rows(ctx, 2, 3, y.data(), 6, sums.data(), 3), CNN_OK);
    EXPECT_EQ(sums, (std::vector<float>{26, 48, 70}));
}

TEST_F(Gemm, BadArgumentsReturnTheirStatus) {
    std::vector<float> a(6), b(6), c(4);
    EXPECT_EQ(cnn_gemm(ctx, 0, 0, 2, 2, 3, 1, a.data(), 5, b.data(), 6, 0, c.data(), 4), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_gemm(ctx, 0, 0, 2, 2, 3, 1, a.data(), 6, b.data(), 6, 0, c.data(), 3), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_gemm(ctx, 0, 0, -2, 2, 3, 1, a.data(), 6, b.data(), 6, 0, c.data(), 4), CNN_E_INVALID_SIZE);
    EXPECT_EQ(cnn_gemm(ctx, 0, 0, 2, 2, 3, 1, a.data(), 6, nullptr, 6, 0, c.data(), 4), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_add_bias_rows(ctx, 2, 3, a.data(), 2, b.data(), 6), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_sum_rows(ctx, 2, 3, a.data(), 5, b.data(), 3), CNN_E_BUFFER_TOO_SMALL);
}
