#include "fixture.h"

using Softmax = NativeTest;

TEST_F(Softmax, SoftmaxOfEqualLogitsIsUniformAndShiftInvariant) {
    std::vector<float> x = {2, 2, 2, 2, 1000, 1001, 1002, 1003}, y(8);
    ASSERT_EQ(cnn_softmax_forward(ctx, 2, 4, x.data(), 8, y.data(), 8), CNN_OK);
    for (int j = 0; j < 4; j++) EXPECT_FLOAT_EQ(y[j], 0.25f);
    double z = 1 + std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    for (int j = 0; j < 4; j++) EXPECT_FLOAT_EQ(y[4 + j], (float)(std::exp((double)j) / z));
}

TEST_F(Softmax, SoftmaxBackwardByHand) {
    std::vector<float> y = {0.5f, 0.25f, 0.25f}, dy = {1, 2, 3}, dx(3);
    ASSERT_EQ(cnn_softmax_backward(ctx, 1, 3, y.data(), 3, dy.data(), 3, dx.data(), 3), CNN_OK);
    // dot = 0.5 + 0.5 + 0.75 = 1.75
    EXPECT_EQ(dx, (std::vector<float>{-0.375f, 0.0625f, 0.3125f}));
}
