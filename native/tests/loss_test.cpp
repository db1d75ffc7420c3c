#include "fixture.h"

using Loss = NativeTest;

TEST_F(Loss, SoftmaxCrossEntropyIsStableAndSumsOverRows) {
    std::vector<float> logits = {0, 0, 1000, 0}, targets = {1, 0, 0, 1}, grad(4);
    float loss = -1;
    ASSERT_EQ(cnn_softmax_cross_entropy(ctx, 2, 2, logits.data(), 4, targets.data(), 4, grad.data(), 4, 0.5f, &loss), CNN_OK);
    EXPECT_FLOAT_EQ(loss, (float)(std::log(2.0) + 1000));
    EXPECT_FLOAT_EQ(grad[0], -0.25f);
    EXPECT_FLOAT_EQ(grad[1], 0.25f);
    EXPECT_FLOAT_EQ(grad[2], 0.5f);
    EXPECT_FLOAT_EQ(grad[3], -0.5f);
}

TEST_F(Loss, SquaredErrorByHand) {
    std::vector<float> p = {1, 2, 3}, t = {0, 2, 5}, g(3);
    float loss = -1;
    ASSERT_EQ(cnn_squared_error(ctx, 3, p.data(), 3, t.data(), 3, g.data(), 3, 0.5f, &loss), CNN_OK);
    EXPECT_EQ(loss, 5.0f);
    EXPECT_EQ(g, (std::vector<float>{1, 0, -2}));
}

TEST_F(Loss, CountCorrectUsesTheFirstMaximum) {
    std::vector<float> scores = {0.1f, 0.7f, 0.2f, 0.5f, 0.5f, 0.0f, 0.3f, 0.3f, 0.4f};
    std::vector<float> targets = {0, 1, 0, 0, 1, 0, 1, 0, 0};
    int correct = -1;
    ASSERT_EQ(cnn_count_correct(ctx, 3, 3, scores.data(), 9, targets.data(), 9, &correct), CNN_OK);
    EXPECT_EQ(correct, 1);  // row 0 right; row 1's tie goes to column 0 (wrong); row 2 picks column 2 (wrong)
}

TEST_F(Loss, BadArgumentsReturnTheirStatus) {
    std::vector<float> a(6), b(6), c(6);
    float loss;
    int correct;
    EXPECT_EQ(cnn_softmax_forward(ctx, 2, 3, a.data(), 5, b.data(), 6), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_softmax_forward(ctx, 2, 0, a.data(), 6, b.data(), 6), CNN_E_INVALID_SIZE);
    EXPECT_EQ(cnn_softmax_backward(ctx, 2, 3, a.data(), 6, b.data(), 6, c.data(), 5), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_softmax_cross_entropy(ctx, 2, 3, a.data(), 6, b.data(), 6, c.data(), 6, 1, nullptr), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_softmax_cross_entropy(ctx, 2, 3, a.data(), 6, b.data(), 4, c.data(), 6, 1, &loss), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_squared_error(ctx, 7, a.data(), 6, b.data(), 6, c.data(), 6, 1, &loss), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_count_correct(ctx, -1, 3, a.data(), 6, b.data(), 6, &correct), CNN_E_INVALID_SIZE);
    EXPECT_EQ(cnn_count_correct(ctx, 2, 3, a.data(), 6, b.data(), 6, nullptr), CNN_E_NULL_POINTER);
}
