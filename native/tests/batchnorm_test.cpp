#include "fixture.h"

using BatchNorm = NativeTest;

// x (n, c, s) with element (i, k, j) at (i*c + k)*s + j; the statistics of channel k in double, two passes.
static void Moments(const std::vector<float> &x, int n, int c, int s, int k, double *mean, double *var) {
    double sum = 0, squares = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < s; j++) sum += x[((size_t)i * c + k) * s + j];
    *mean = sum / ((double)n * s);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < s; j++) {
            double d = x[((size_t)i * c + k) * s + j] - *mean;
            squares += d * d;
        }
    *var = squares / ((double)n * s);
}

TEST_F(BatchNorm, TrainingNormalisesEachChannelAndMovesTheRunningStatistics) {
    const int n = 3, c = 5, s = 7;
    const size_t len = (size_t)n * c * s;
    auto x = Random(len, -2, 3);
    std::vector<float> gamma = {1, 2, 0.5f, -1, 3}, beta = {0, 1, -1, 0.25f, 2};
    std::vector<float> y(len), mean(c), inv(c), rm(c, 0.5f), rv(c, 2.0f);
    ASSERT_EQ(cnn_batchnorm_forward_training(ctx, n, c, s, 1e-5f, 0.1f, x.data(), len, gamma.data(), c, beta.data(), c, y.data(), len,
                                             mean.data(), c, inv.data(), c, rm.data(), c, rv.data(), c), CNN_OK);
    std::vector<double> expected(len);
    for (int k = 0; k < c; k++) {
        double mu, var;
        Moments(x, n, c, s, k, &mu, &var);
        double is = 1 / std::sqrt(var + 1e-5);
        EXPECT_NEAR(mean[k], mu, 1e-6);
        EXPECT_NEAR(inv[k], is, 1e-6 * is);
        EXPECT_NEAR(rm[k], 0.9 * 0.5 + 0.1 * mu, 1e-6);
        EXPECT_NEAR(rv[k], 0.9 * 2.0 + 0.1 * var * (n * s) / (n * s - 1), 1e-6);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++) {
                size_t e = ((size_t)i * c + k) * s + j;
                expected[e] = (x[e] - mu) * is * gamma[k] + beta[k];
            }
    }
    ExpectClose(y, expected, 1e-5);
}

TEST_F(BatchNorm, InferenceUsesTheRunningStatistics) {
    const int n = 2, c = 3, s = 1;
    std::vector<float> x = {1, 2, 3, 4, 5, 6}, gamma = {1, 2, 3}, beta = {0, 1, 2}, rm = {1, 1, 1}, rv = {4, 1, 0}, y(6);
    ASSERT_EQ(cnn_batchnorm_forward_inference(ctx, n, c, s, 1e-5f, x.data(), 6, gamma.data(), 3, beta.data(), 3, rm.data(), 3, rv.data(), 3,
                                              y.data(), 6), CNN_OK);
    std::vector<double> expected(6);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < c; k++) expected[i * c + k] = (x[i * c + k] - rm[k]) / std::sqrt(rv[k] + 1e-5) * gamma[k] + beta[k];
    ExpectClose(y, expected, 1e-6);
}

TEST_F(BatchNorm, ALoneValuePerChannelGivesBetaAndNoInputGradient) {
    std::vector<float> x = {3, -7}, gamma = {2, 5}, beta = {0.5f, -1}, y(2), mean(2), inv(2), rm = {0, 0}, rv = {1, 1};
    ASSERT_EQ(cnn_batchnorm_forward_training(ctx, 1, 2, 1, 1e-5f, 0.1f, x.data(), 2, gamma.data(), 2, beta.data(), 2, y.data(), 2,
                                             mean.data(), 2, inv.data(), 2, rm.data(), 2, rv.data(), 2), CNN_OK);
    EXPECT_EQ(y, beta);
    EXPECT_FLOAT_EQ(rv[0], 0.9f);  // the variance estimate of one value is 0
    std::vector<float> dy = {4, 6}, dx(2, NAN), dg = {0, 0}, db = {0, 0};
    ASSERT_EQ(cnn_batchnorm_backward(ctx, 1, 2, 1, x.data(), 2, dy.data(), 2, gamma.data(), 2, mean.data(), 2, inv.data(), 2,
                                     dx.data(), 2, dg.data(), 2, db.data(), 2), CNN_OK);
    EXPECT_EQ(dx, (std::vector<float>{0, 0}));
    EXPECT_EQ(dg, (std::vector<float>{0, 0}));
    EXPECT_EQ(db, dy);
}

TEST_F(BatchNorm, BackwardMatchesTheFormulaAndAccumulatesParameterGradients) {
    const int n = 4, c = 2, s = 9;
    const size_t len = (size_t)n * c * s;
    auto x = Random(len), dy = Random(len);
    std::vector<float> gamma = {1.5f, -0.5f}, beta = {0, 0}, y(len), mean(c), inv(c), rm(c), rv(c, 1);
    ASSERT_EQ(cnn_batchnorm_forward_training(ctx, n, c, s, 1e-3f, 0.1f, x.data(), len, gamma.data(), c, beta.data(), c, y.data(), len,
                                             mean.data(), c, inv.data(), c, rm.data(), c, rv.data(), c), CNN_OK);
    std::vector<float> dx(len), dg = {10, 20}, db = {-1, -2};
    ASSERT_EQ(cnn_batchnorm_backward(ctx, n, c, s, x.data(), len, dy.data(), len, gamma.data(), c, mean.data(), c, inv.data(), c,
                                     dx.data(), len, dg.data(), c, db.data(), c), CNN_OK);
    std::vector<double> expected(len);
    const double m = (double)n * s;
    for (int k = 0; k < c; k++) {
        double sum_dy = 0, sum_dy_xhat = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++) {
                size_t e = ((size_t)i * c + k) * s + j;
                sum_dy += dy[e];
                sum_dy_xhat += dy[e] * (x[e] - mean[k]) * inv[k];
            }
        EXPECT_NEAR(db[k], (k == 0 ? -1 : -2) + sum_dy, 1e-5);
        EXPECT_NEAR(dg[k], (k == 0 ? 10 : 20) + sum_dy_xhat, 1e-4);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++) {
                size_t e = ((size_t)i * c + k) * s + j;
                double xhat = (x[e] - mean[k]) * inv[k];
                expected[e] = gamma[k] * inv[k] / m * (m * dy[e] - sum_dy - xhat * sum_dy_xhat);
            }
    }
    ExpectClose(dx, expected, 1e-5);
}

TEST_F(BatchNorm, BadArgumentsReturnTheirStatus) {
    std::vector<float> x(8), p(2), y(8);
    float *b = p.data();
    auto training = [&](int n, float eps, float momentum, int64_t x_len, int64_t p_len) {
        return cnn_batchnorm_forward_training(ctx, n, 2, 2, eps, momentum, x.data(), x_len, b, p_len, b, p_len, y.data(), 8,
                                              b, p_len, b, p_len, b, p_len, b, p_len);
    };
    EXPECT_EQ(training(2, 1e-5f, 0.1f, 8, 2), CNN_OK);
    EXPECT_EQ(training(-1, 1e-5f, 0.1f, 8, 2), CNN_E_INVALID_SIZE);
    EXPECT_EQ(training(2, 0.0f, 0.1f, 8, 2), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(training(2, NAN, 0.1f, 8, 2), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(training(2, 1e-5f, 1.5f, 8, 2), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(training(2, 1e-5f, 0.1f, 7, 2), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(training(2, 1e-5f, 0.1f, 8, 1), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_batchnorm_forward_inference(ctx, 2, 2, 2, -1.0f, x.data(), 8, b, 2, b, 2, b, 2, b, 2, y.data(), 8), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(cnn_batchnorm_forward_inference(ctx, 2, 2, 2, 1e-5f, x.data(), 8, b, 2, b, 2, b, 2, b, 2, nullptr, 8), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_batchnorm_backward(ctx, 2, 2, 2, x.data(), 8, y.data(), 8, b, 2, b, 2, b, 2, x.data(), 7, b, 2, b, 2), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_batchnorm_backward(nullptr, 2, 2, 2, x.data(), 8, y.data(), 8, b, 2, b, 2, b, 2, x.data(), 8, b, 2, b, 2), CNN_E_NULL_POINTER);
}

TEST_F(BatchNorm, ManyThreadsGiveTheBitsOfOne) {
    const int n = 16, c = 24, s = 196;
    const size_t len = (size_t)n * c * s;
    auto x = Random(len, -1, 4), dy = Random(len);
    std::vector<float> gamma = Random(c), beta = Random(c);
    std::vector<std::vector<float>> outputs;
    for (int threads : {1, 2, 3}) {
        cnn_context *own = nullptr;
        ASSERT_EQ(cnn_context_create(threads, &own), CNN_OK);
        std::vector<float> y(len), mean(c), inv(c), rm(c), rv(c, 1), dx(len), dg(c), db(c);
        ASSERT_EQ(cnn_batchnorm_forward_training(own, n, c, s, 1e-5f, 0.1f, x.data(), len, gamma.data(), c, beta.data(), c, y.data(), len,
                                                 mean.data(), c, inv.data(), c, rm.data(), c, rv.data(), c), CNN_OK);
        ASSERT_EQ(cnn_batchnorm_backward(own, n, c, s, x.data(), len, dy.data(), len, gamma.data(), c, mean.data(), c, inv.data(), c,
                                         dx.data(), len, dg.data(), c, db.data(), c), CNN_OK);
        cnn_context_destroy(own);
        y.insert(y.end(), dx.begin(), dx.end());
        y.insert(y.end(), rv.begin(), rv.end());
        y.insert(y.end(), dg.begin(), dg.end());
        outputs.push_back(y);
    }
    EXPECT_EQ(outputs[0], outputs[1]);
    EXPECT_EQ(outputs[0], outputs[2]);
}
