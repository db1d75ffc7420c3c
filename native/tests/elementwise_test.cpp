#include "fixture.h"

using Elementwise = NativeTest;

TEST_F(Elementwise, FillCopyAxpyScaleMultiplyTouchOnlyLengthElements) {
    std::vector<float> x = {1, 2, 3, 4, 5}, y = {10, 20, 30, 40, 50}, z(5, -1.0f);
    ASSERT_EQ(cnn_axpy(ctx, 4, 2.0f, x.data(), 5, y.data(), 5), CNN_OK);
    EXPECT_EQ(y, (std::vector<float>{12, 24, 36, 48, 50}));
    ASSERT_EQ(cnn_scale(ctx, 3, -1.0f, y.data(), 5), CNN_OK);
    EXPECT_EQ(y, (std::vector<float>{-12, -24, -36, 48, 50}));
    ASSERT_EQ(cnn_multiply(ctx, 4, x.data(), 5, y.data(), 5, z.data(), 5), CNN_OK);
    EXPECT_EQ(z, (std::vector<float>{-12, -48, -108, 192, -1}));
    ASSERT_EQ(cnn_copy(ctx, 2, x.data(), 5, z.data(), 5), CNN_OK);
    EXPECT_EQ(z, (std::vector<float>{1, 2, -108, 192, -1}));
    ASSERT_EQ(cnn_fill(ctx, 4, 7.5f, z.data(), 5), CNN_OK);
    EXPECT_EQ(z, (std::vector<float>{7.5f, 7.5f, 7.5f, 7.5f, -1}));
}

TEST_F(Elementwise, LargeAxpyIsSplitAcrossThreadsCorrectly) {
    const int64_t n = 1 << 20;
    auto x = Random(n), y = Random(n);
    auto expected = y;
    for (int64_t i = 0; i < n; i++) expected[i] += 0.5f * x[i];
    ASSERT_EQ(cnn_axpy(ctx, n, 0.5f, x.data(), n, y.data(), n), CNN_OK);
    EXPECT_EQ(y, expected);
}

TEST_F(Elementwise, DropoutUsesTheSharedHash) {
    const int64_t n = 123457;
    std::vector<float> x(n, 2.0f), y(n), mask(n);
    ASSERT_EQ(cnn_dropout_forward(ctx, n, 0.72f, 7, x.data(), n, y.data(), n, mask.data(), n), CNN_OK);
    // uniform(7, 123456) = 0.0731627... < 0.72: dropped. uniform(0, 0) = 0.7381148... >= 0.72 under seed 0: kept.
    EXPECT_EQ(mask[123456], 0.0f);
    ASSERT_EQ(cnn_dropout_forward(ctx, 1, 0.72f, 0, x.data(), n, y.data(), n, mask.data(), n), CNN_OK);
    EXPECT_FLOAT_EQ(mask[0], 1.0f / (1.0f - 0.72f));
    EXPECT_FLOAT_EQ(y[0], 2.0f / (1.0f - 0.72f));
    ASSERT_EQ(cnn_dropout_forward(ctx, 1, 0.74f, 0, x.data(), n, y.data(), n, mask.data(), n), CNN_OK);
    EXPECT_EQ(mask[0], 0.0f);
    EXPECT_EQ(y[0], 0.0f);
}

TEST_F(Elementwise, DropoutKeepsAboutOneMinusRate) {
    const int64_t n = 100000;
    std::vector<float> x(n, 1.0f), y(n), mask(n);
    ASSERT_EQ(cnn_dropout_forward(ctx, n, 0.25f, 99, x.data(), n, y.data(), n, mask.data(), n), CNN_OK);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        ASSERT_TRUE(mask[i] == 0.0f || mask[i] == 1.0f / 0.75f) << i;
        ASSERT_EQ(y[i], mask[i]);
        kept += mask[i] != 0.0f;
    }
    EXPECT_NEAR(kept / (double)n, 0.75, 0.01);
}

TEST_F(Elementwise, BadArgumentsReturnTheirStatus) {
    std::vector<float> a(4), b(4);
    EXPECT_EQ(cnn_fill(ctx, 5, 0, a.data(), 4), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_fill(ctx, -1, 0, a.data(), 4), CNN_E_INVALID_SIZE);
    EXPECT_EQ(cnn_fill(ctx, 1, 0, nullptr, 4), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_copy(ctx, 4, a.data(), 3, b.data(), 4), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_axpy(ctx, 4, 1, a.data(), 4, b.data(), 3), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_multiply(ctx, 4, a.data(), 4, nullptr, 4, b.data(), 4), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_activation_forward(ctx, 3, 4, a.data(), 4, b.data(), 4), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(cnn_activation_backward(ctx, CNN_ACTIVATION_TANH, 4, a.data(), 4, a.data(), 2, b.data(), 4), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_dropout_forward(ctx, 4, 1.0f, 1, a.data(), 4, b.data(), 4, a.data(), 4), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(cnn_dropout_forward(ctx, 4, -0.1f, 1, a.data(), 4, b.data(), 4, a.data(), 4), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(cnn_dropout_forward(ctx, 4, 0.5f, 1, a.data(), 4, b.data(), 4, a.data(), 3), CNN_E_BUFFER_TOO_SMALL);
}
