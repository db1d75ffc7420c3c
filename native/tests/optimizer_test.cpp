#include "fixture.h"

using Optim = NativeTest;

TEST_F(Optim, PlainSgdWithWeightDecay) {
    std::vector<float> p = {1, -2}, g = {0.5f, 1};
    ASSERT_EQ(cnn_sgd_step(ctx, 2, p.data(), 2, g.data(), 2, nullptr, 0, 0.5f, 0.0f, 0.5f, 0), CNN_OK);
    // g' = g + 0.5 p = {1, 0}; p -= 0.5 g'
    EXPECT_EQ(p, (std::vector<float>{0.5f, -2}));
}

TEST_F(Optim, MomentumAndNesterov) {
    std::vector<float> p = {1, 1}, g = {1, 1}, v = {2, 2};
    ASSERT_EQ(cnn_sgd_step(ctx, 1, p.data(), 2, g.data(), 2, v.data(), 2, 0.5f, 0.5f, 0.0f, 0), CNN_OK);
    EXPECT_EQ(v[0], 2.0f);   // 0.5*2 + 1
    EXPECT_EQ(p[0], 0.0f);   // 1 - 0.5*2
    ASSERT_EQ(cnn_sgd_step(ctx, 1, p.data() + 1, 1, g.data(), 1, v.data() + 1, 1, 0.5f, 0.5f, 0.0f, 1), CNN_OK);
    EXPECT_EQ(v[1], 2.0f);
    EXPECT_EQ(p[1], -0.0f);  // 1 - 0.5*(1 + 0.5*2)
}

TEST_F(Optim, AdamFirstStepMovesEachParameterByLr) {
    // After one step with bias correction, mhat = g and vhat = g^2, so the step is lr * g / (|g| + eps).
    std::vector<float> p = {1, 1, 1}, g = {0.3f, -2, 1e-3f}, m(3), v(3);
    ASSERT_EQ(cnn_adam_step(ctx, 3, p.data(), 3, g.data(), 3, m.data(), 3, v.data(), 3, 0.1f, 0.9f, 0.999f, 1e-8f, 0, 1), CNN_OK);
    EXPECT_NEAR(p[0], 0.9, 1e-6);
    EXPECT_NEAR(p[1], 1.1, 1e-6);
    EXPECT_NEAR(p[2], 0.9, 1e-5);
    EXPECT_FLOAT_EQ(m[1], -0.2f);
    EXPECT_FLOAT_EQ(v[1], (1 - 0.999f) * 4);
}

TEST_F(Optim, LargeStepsAreElementwiseAcrossThreads) {
    const int64_t n = 300000;
    auto p = Random(n), g = Random(n), v = Random(n);
    auto p0 = p, v0 = v;
    ASSERT_EQ(cnn_sgd_step(ctx, n, p.data(), n, g.data(), n, v.data(), n, 0.1f, 0.9f, 0.01f, 1), CNN_OK);
    for (int64_t i = 0; i < n; i += 997) {
        float gi = g[i] + 0.01f * p0[i];
        float vi = 0.9f * v0[i] + gi;
        ASSERT_EQ(v[i], vi);
        ASSERT_EQ(p[i], p0[i] - 0.1f * (gi + 0.9f * vi));
    }
}

TEST_F(Optim, BadArgumentsReturnTheirStatus) {
    std::vector<float> a(4), b(4), c(4), d(4);
    EXPECT_EQ(cnn_sgd_step(ctx, 4, a.data(), 4, b.data(), 4, nullptr, 0, 0.1f, 0.9f, 0, 0), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_sgd_step(ctx, 4, a.data(), 4, b.data(), 4, c.data(), 3, 0.1f, 0.9f, 0, 0), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_sgd_step(ctx, 4, a.data(), 3, b.data(), 4, nullptr, 0, 0.1f, 0, 0, 0), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_adam_step(ctx, 4, a.data(), 4, b.data(), 4, c.data(), 4, d.data(), 4, 0.1f, 0.9f, 0.999f, 1e-8f, 0, 0), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(cnn_adam_step(ctx, 4, a.data(), 4, b.data(), 4, c.data(), 4, d.data(), 2, 0.1f, 0.9f, 0.999f, 1e-8f, 0, 1), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_adam_step(ctx, -4, a.data(), 4, b.data(), 4, c.data(), 4, d.data(), 4, 0.1f, 0.9f, 0.999f, 1e-8f, 0, 1), CNN_E_INVALID_SIZE);
}
