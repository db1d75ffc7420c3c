#include "fixture.h"

using Pool = NativeTest;

// One 4x4 plane, 3x3 windows with stride 1 (overlapping): 2x2 outputs.
static const std::vector<float> kPlane = {1, 5, 2, 0,
                                          3, 5, 4, 1,
                                          0, 2, 9, 6,
                                          7, 1, 3, 8};
static const cnn_pool2d_geometry kOverlap = {1, 1, 4, 4, 3, 3, 1, 1};

TEST_F(Pool, MaxForwardAndBackwardRouteToTheFirstMaximum) {
    std::vector<float> y(4), dy = {1, 10, 100, 1000}, dx(16, NAN);
    ASSERT_EQ(cnn_pool2d_forward(ctx, &kOverlap, CNN_POOL_MAX, kPlane.data(), 16, y.data(), 4), CNN_OK);
    EXPECT_EQ(y, (std::vector<float>{9, 9, 9, 9}));
    std::vector<float> ties = kPlane;
    ties[10] = 0;  // window (0,0) now has two 5s: the first (row-major) one, index 1, gets the gradient
    ASSERT_EQ(cnn_pool2d_backward(ctx, &kOverlap, CNN_POOL_MAX, ties.data(), 16, dy.data(), 4, dx.data(), 16), CNN_OK);
    std::vector<float> expected(16, 0.0f);
    expected[1] += 1;      // window (0,0): max 5 first at index 1
    expected[11] += 10;    // window (0,1) = rows 0-2, cols 1-3: max 6 at index 11
    expected[12] += 100;   // window (1,0) = rows 1-3, cols 0-2: max 7 at index 12
    expected[15] += 1000;  // window (1,1): max 8 at index 15
    EXPECT_EQ(dx, expected);
}

TEST_F(Pool, AverageForwardAndBackwardSpreadOverlappingWindows) {
    std::vector<float> y(4), dy = {9, 18, 27, 36}, dx(16);
    ASSERT_EQ(cnn_pool2d_forward(ctx, &kOverlap, CNN_POOL_AVERAGE, kPlane.data(), 16, y.data(), 4), CNN_OK);
    EXPECT_FLOAT_EQ(y[0], 31.0f / 9);
    EXPECT_FLOAT_EQ(y[3], 39.0f / 9);
    ASSERT_EQ(cnn_pool2d_backward(ctx, &kOverlap, CNN_POOL_AVERAGE, kPlane.data(), 16, dy.data(), 4, dx.data(), 16), CNN_OK);
    EXPECT_EQ(dx[0], 1.0f);                // only window (0,0)
    EXPECT_EQ(dx[5], 1.0f + 2 + 3 + 4);    // centre: every window
    EXPECT_EQ(dx[15], 4.0f);               // only window (1,1)
}

TEST_F(Pool, MaxPropagatesNaN) {
    std::vector<float> x = {1, NAN, 3, 4}, y(1);
    cnn_pool2d_geometry g = {1, 1, 2, 2, 2, 2, 2, 2};
    ASSERT_EQ(cnn_pool2d_forward(ctx, &g, CNN_POOL_MAX, x.data(), 4, y.data(), 1), CNN_OK);
    EXPECT_TRUE(std::isnan(y[0]));
}

TEST_F(Pool, ManyPlanesMatchPerPlaneResults) {
    cnn_pool2d_geometry g = {4, 16, 28, 28, 2, 2, 2, 2};
    size_t xl = 4 * 16 * 28 * 28, yl = 4 * 16 * 14 * 14;
    auto x = Random(xl);
    std::vector<float> y(yl);
    ASSERT_EQ(cnn_pool2d_forward(ctx, &g, CNN_POOL_MAX, x.data(), xl, y.data(), yl), CNN_OK);
    for (size_t plane = 0; plane < 64; plane++)
        for (int p = 0; p < 14; p++)
            for (int q = 0; q < 14; q++) {
                const float *b = x.data() + plane * 784 + p * 2 * 28 + q * 2;
                float m = std::max(std::max(b[0], b[1]), std::max(b[28], b[29]));
                ASSERT_EQ(y[plane * 196 + p * 14 + q], m);
            }
}

TEST_F(Pool, BadArgumentsReturnTheirStatus) {
    std::vector<float> x(16), y(4);
    EXPECT_EQ(cnn_pool2d_forward(ctx, &kOverlap, CNN_POOL_MAX, x.data(), 15, y.data(), 4), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_pool2d_forward(ctx, &kOverlap, CNN_POOL_MAX, x.data(), 16, y.data(), 3), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_pool2d_forward(ctx, &kOverlap, 7, x.data(), 16, y.data(), 4), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(cnn_pool2d_backward(ctx, &kOverlap, CNN_POOL_AVERAGE, x.data(), 16, y.data(), 4, x.data(), 15), CNN_E_BUFFER_TOO_SMALL);
    cnn_pool2d_geometry window_too_big = {1, 1, 4, 4, 5, 1, 1, 1};
    EXPECT_EQ(cnn_pool2d_forward(ctx, &window_too_big, CNN_POOL_MAX, x.data(), 16, y.data(), 4), CNN_E_INVALID_SIZE);
    EXPECT_EQ(cnn_pool2d_forward(ctx, nullptr, CNN_POOL_MAX, x.data(), 16, y.data(), 4), CNN_E_NULL_POINTER);
}
