#include "fixture.h"

using Activation = NativeTest;

TEST_F(Activation, ActivationsMatchTheirFormulas) {
    std::vector<float> x = {-2.0f, -0.5f, 0.0f, 0.5f, 3.0f}, y(5), dx(5), dy = {1, 2, 3, 4, 5};
    ASSERT_EQ(cnn_activation_forward(ctx, CNN_ACTIVATION_RELU, 5, x.data(), 5, y.data(), 5), CNN_OK);
    EXPECT_EQ(y, (std::vector<float>{0, 0, 0, 0.5f, 3.0f}));
    ASSERT_EQ(cnn_activation_backward(ctx, CNN_ACTIVATION_RELU, 5, y.data(), 5, dy.data(), 5, dx.data(), 5), CNN_OK);
    EXPECT_EQ(dx, (std::vector<float>{0, 0, 0, 4, 5}));
    ASSERT_EQ(cnn_activation_forward(ctx, CNN_ACTIVATION_SIGMOID, 5, x.data(), 5, y.data(), 5), CNN_OK);
    for (int i = 0; i < 5; i++) EXPECT_FLOAT_EQ(y[i], 1.0f / (1.0f + std::exp(-x[i])));
    ASSERT_EQ(cnn_activation_backward(ctx, CNN_ACTIVATION_SIGMOID, 5, y.data(), 5, dy.data(), 5, dx.data(), 5), CNN_OK);
    for (int i = 0; i < 5; i++) EXPECT_FLOAT_EQ(dx[i], dy[i] * y[i] * (1 - y[i]));
    ASSERT_EQ(cnn_activation_forward(ctx, CNN_ACTIVATION_TANH, 5, x.data(), 5, y.data(), 5), CNN_OK);
    for (int i = 0; i < 5; i++) EXPECT_FLOAT_EQ(y[i], std::tanh(x[i]));
    ASSERT_EQ(cnn_activation_backward(ctx, CNN_ACTIVATION_TANH, 5, y.data(), 5, dy.data(), 5, dx.data(), 5), CNN_OK);
    for (int i = 0; i < 5; i++) EXPECT_FLOAT_EQ(dx[i], dy[i] * (1 - y[i] * y[i]));
}

// Values of DropoutHash.Uniform computed independently (Python big-integer arithmetic masked to 32 bits).
