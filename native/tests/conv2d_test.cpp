#include "fixture.h"

using Conv = NativeTest;

static int OutSize(int size, int kernel, int stride, int pad) { return (size - kernel + 2 * pad) / stride + 1; }

TEST_F(Conv, WorkshopXFilterFeatureMap) {
    std::vector<float> x = {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0};
    std::vector<float> w = {1, 0, 1, 0, 1, 0, 1, 0, 1}, bias = {0.5f}, y(9);
    cnn_conv2d_geometry g = {1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0};
    ASSERT_EQ(cnn_conv2d_forward(ctx, &g, x.data(), 25, w.data(), 9, bias.data(), 1, y.data(), 9), CNN_OK);
    EXPECT_EQ(y, (std::vector<float>{4.5f, 3.5f, 4.5f, 2.5f, 4.5f, 3.5f, 2.5f, 3.5f, 4.5f}));
}

class ConvShapes : public NativeTest, public ::testing::WithParamInterface<cnn_conv2d_geometry> {
protected:
    cnn_conv2d_geometry g{};
    int P = 0, Q = 0;
    size_t xl = 0, wl = 0, yl = 0;
    void SetUp() override {
        NativeTest::SetUp();
        g = GetParam();
        P = OutSize(g.h, g.r, g.stride_h, g.pad_h);
        Q = OutSize(g.w, g.s, g.stride_w, g.pad_w);
        xl = (size_t)g.n * g.c * g.h * g.w; wl = (size_t)g.k * g.c * g.r * g.s; yl = (size_t)g.n * g.k * P * Q;
    }
    // Calls f(x index, w index, y index) for every multiply-add of the convolution: the naive definition.
    template <class F> void ForEachTap(F f) {
        for (int n = 0; n < g.n; n++) for (int k = 0; k < g.k; k++) for (int p = 0; p < P; p++) for (int q = 0; q < Q; q++)
            for (int c = 0; c < g.c; c++) for (int r = 0; r < g.r; r++) for (int s = 0; s < g.s; s++) {
                int h = p * g.stride_h - g.pad_h + r, wi = q * g.stride_w - g.pad_w + s;
                if (h < 0 || h >= g.h || wi < 0 || wi >= g.w) continue;
                f((((size_t)n * g.c + c) * g.h + h) * g.w + wi, (((size_t)k * g.c + c) * g.r + r) * g.s + s,
                  (((size_t)n * g.k + k) * P + p) * Q + q);
            }
    }
};

TEST_P(ConvShapes, ForwardMatchesNaiveLoops) {
    auto x = Random(xl), w = Random(wl), bias = Random(g.k);
    std::vector<float> y(yl, NAN);
    std::vector<double> expected(yl);
    for (size_t i = 0; i < yl; i++) expected[i] = bias[(i / ((size_t)P * Q)) % g.k];
    ForEachTap([&](size_t xi, size_t wi, size_t yi) { expected[yi] += (double)x[xi] * w[wi]; });
    ASSERT_EQ(cnn_conv2d_forward(ctx, &g, x.data(), xl, w.data(), wl, bias.data(), g.k, y.data(), yl), CNN_OK);
    ExpectClose(y, expected, 1e-4);
}

TEST_P(ConvShapes, BackwardDataMatchesNaiveLoops) {
    auto dy = Random(yl), w = Random(wl);
    std::vector<float> dx(xl, NAN);
    std::vector<double> expected(xl, 0.0);
    ForEachTap([&](size_t xi, size_t wi, size_t yi) { expected[xi] += (double)dy[yi] * w[wi]; });
    ASSERT_EQ(cnn_conv2d_backward_data(ctx, &g, dy.data(), yl, w.data(), wl, dx.data(), xl), CNN_OK);
    ExpectClose(dx, expected, 1e-4);
}

TEST_P(ConvShapes, BackwardFilterAccumulatesIntoDwAndDb) {
    auto x = Random(xl), dy = Random(yl), dw = Random(wl), db = Random(g.k);
    std::vector<double> ew(dw.begin(), dw.end()), eb(db.begin(), db.end());
    ForEachTap([&](size_t xi, size_t wi, size_t yi) { ew[wi] += (double)x[xi] * dy[yi]; });
    for (size_t i = 0; i < yl; i++) eb[(i / ((size_t)P * Q)) % g.k] += dy[i];
    ASSERT_EQ(cnn_conv2d_backward_filter(ctx, &g, x.data(), xl, dy.data(), yl, dw.data(), wl, db.data(), g.k), CNN_OK);
    ExpectClose(dw, ew, 1e-4);
    ExpectClose(db, eb, 1e-5);
}

// n, c, h, w, k, r, s, stride_h, stride_w, pad_h, pad_w: 1x1, odd sizes, strides, rectangles, padding beyond the
// kernel, a batch smaller than the thread count, depth > KC; backward data takes the flipped-convolution path
// when stride is 1 and C >= 16 (with negative padding in the 16-channel case) and col2im otherwise.
INSTANTIATE_TEST_SUITE_P(All, ConvShapes, ::testing::Values(
    cnn_conv2d_geometry{1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0}, cnn_conv2d_geometry{2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1},
    cnn_conv2d_geometry{3, 2, 8, 8, 4, 1, 1, 1, 1, 0, 0}, cnn_conv2d_geometry{2, 3, 9, 11, 7, 3, 2, 2, 3, 1, 0},
    cnn_conv2d_geometry{2, 1, 6, 6, 3, 3, 3, 1, 1, 3, 2}, cnn_conv2d_geometry{1, 4, 28, 28, 8, 5, 5, 1, 1, 2, 2},
    cnn_conv2d_geometry{3, 32, 9, 9, 13, 3, 3, 1, 1, 1, 1}, cnn_conv2d_geometry{2, 2, 10, 10, 3, 4, 4, 2, 2, 1, 1},
    cnn_conv2d_geometry{1, 16, 6, 7, 3, 3, 3, 1, 1, 3, 2}));

TEST_F(Conv, BadArgumentsReturnTheirStatus) {
    std::vector<float> x(25), w(9), y(9), b(1);
    cnn_conv2d_geometry g = {1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0};
    EXPECT_EQ(cnn_conv2d_forward(ctx, &g, x.data(), 24, w.data(), 9, nullptr, 0, y.data(), 9), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_conv2d_forward(ctx, &g, x.data(), 25, w.data(), 9, b.data(), 0, y.data(), 9), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_conv2d_forward(ctx, &g, x.data(), 25, w.data(), 9, nullptr, 0, y.data(), 8), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_conv2d_forward(ctx, nullptr, x.data(), 25, w.data(), 9, nullptr, 0, y.data(), 9), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_conv2d_backward_data(ctx, &g, y.data(), 9, w.data(), 8, x.data(), 25), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_conv2d_backward_filter(ctx, &g, x.data(), 25, y.data(), 9, w.data(), 9, b.data(), 0), CNN_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(cnn_conv2d_backward_filter(ctx, &g, x.data(), 25, nullptr, 9, w.data(), 9, nullptr, 0), CNN_E_NULL_POINTER);
    cnn_conv2d_geometry too_big = {1, 1, 5, 5, 1, 7, 7, 1, 1, 0, 0};
    EXPECT_EQ(cnn_conv2d_forward(ctx, &too_big, x.data(), 25, w.data(), 49, nullptr, 0, y.data(), 9), CNN_E_INVALID_SIZE);
    cnn_conv2d_geometry zero_stride = {1, 1, 5, 5, 1, 3, 3, 0, 1, 0, 0};
    EXPECT_EQ(cnn_conv2d_backward_data(ctx, &zero_stride, y.data(), 9, w.data(), 9, x.data(), 25), CNN_E_INVALID_SIZE);
    cnn_conv2d_geometry negative_pad = {1, 1, 5, 5, 1, 3, 3, 1, 1, -1, 0};
    EXPECT_EQ(cnn_conv2d_backward_filter(ctx, &negative_pad, x.data(), 25, y.data(), 9, w.data(), 9, nullptr, 0), CNN_E_INVALID_SIZE);
}
