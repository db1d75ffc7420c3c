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

// ------------------------------------------------------------------------------ vector paths, bit for bit

namespace {

// The reference device's pooling, written plainly: the semantics every path must reproduce to the bit.
void ReferenceForward(const cnn_pool2d_geometry &g, int mode, const std::vector<float> &x, std::vector<float> &y) {
    int P = (g.h - g.r) / g.stride_h + 1, Q = (g.w - g.s) / g.stride_w + 1;
    for (int plane = 0; plane < g.n * g.c; plane++)
        for (int p = 0; p < P; p++)
            for (int q = 0; q < Q; q++) {
                const float *win = x.data() + (size_t)plane * g.h * g.w + (size_t)p * g.stride_h * g.w + q * g.stride_w;
                float m = -INFINITY;
                double acc = 0.0;
                for (int r = 0; r < g.r; r++)
                    for (int s = 0; s < g.s; s++) {
                        float v = win[r * g.w + s];
                        if (v > m || std::isnan(v)) m = v;
                        acc += v;
                    }
                y[(size_t)plane * P * Q + p * Q + q] = mode == CNN_POOL_MAX ? m : (float)(acc / (g.r * g.s));
            }
}

void ReferenceBackward(const cnn_pool2d_geometry &g, int mode, const std::vector<float> &x, const std::vector<float> &dy,
                       std::vector<float> &dx) {
    int P = (g.h - g.r) / g.stride_h + 1, Q = (g.w - g.s) / g.stride_w + 1;
    std::fill(dx.begin(), dx.end(), 0.0f);
    for (int plane = 0; plane < g.n * g.c; plane++)
        for (int p = 0; p < P; p++)
            for (int q = 0; q < Q; q++) {
                size_t base = (size_t)plane * g.h * g.w, w0 = base + (size_t)p * g.stride_h * g.w + q * g.stride_w;
                float d = dy[(size_t)plane * P * Q + p * Q + q];
                size_t best = w0;
                for (int r = 0; r < g.r; r++)
                    for (int s = 0; s < g.s; s++) {
                        size_t i = w0 + (size_t)r * g.w + s;
                        if (mode == CNN_POOL_AVERAGE) dx[i] += d / (g.r * g.s);
                        else if (x[i] > x[best]) best = i;
                    }
                if (mode == CNN_POOL_MAX) dx[best] += d;
            }
}

// Random values with many ties, signed zeros, infinities and NaNs of two payloads, so that every rule is exercised.
std::vector<float> Awkward(size_t n, std::mt19937 &rng) {
    const float nan_a = std::nanf("1"), nan_b = std::nanf("2");
    const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 2.0f, INFINITY, -INFINITY, nan_a, nan_b};
    std::uniform_int_distribution<int> pick(0, 19);
    std::uniform_real_distribution<float> value(-4.0f, 4.0f);
    std::vector<float> v(n);
    for (auto &x : v) {
        int k = pick(rng);
        x = k < 9 ? special[k] : k < 12 ? 1.0f : value(rng);
    }
    return v;
}

// The index of the first element whose bits differ (signed zeros included), -1 if none. Any NaN equals any NaN: which
// payload a sum of two NaNs keeps depends on the order the compiler gives the operands of an addition.
long FirstDifference(const std::vector<float> &a, const std::vector<float> &b) {
    for (size_t i = 0; i < a.size(); i++)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0 && !(std::isnan(a[i]) && std::isnan(b[i]))) return (long)i;
    return -1;
}

}  // namespace

// The 2x2 and 3x3 stride-2 windows take the vector path: planes of every width from 2 to 37 (so rows end at every
// lane of a vector and odd widths leave a column out) must give the reference's bits: ties, signed zeros, infinities
// and NaN propagation.
TEST_F(Pool, VectorWindowsReproduceTheReferenceBitForBit) {
    for (int k = 2; k <= 3; k++)
        for (int w = k; w <= 37; w++)
            for (int mode : {CNN_POOL_MAX, CNN_POOL_AVERAGE}) {
                cnn_pool2d_geometry g = {2, 3, k + 1 + w % 4, w, k, k, 2, 2};
                int P = (g.h - k) / 2 + 1, Q = (w - k) / 2 + 1;
                size_t xl = (size_t)g.n * g.c * g.h * g.w, yl = (size_t)g.n * g.c * P * Q;
                auto x = Awkward(xl, rng), dy = Awkward(yl, rng);
                std::vector<float> y(yl + 8, 7.0f), ey(yl + 8, 7.0f), dx(xl + 8, 7.0f), edx(xl + 8, 7.0f);
                ASSERT_EQ(cnn_pool2d_forward(ctx, &g, mode, x.data(), xl, y.data(), yl), CNN_OK);
                ReferenceForward(g, mode, x, ey);
                ASSERT_EQ(FirstDifference(y, ey), -1) << "forward " << (mode ? "avg" : "max") << " " << k << "x" << k << " width " << w;
                ASSERT_EQ(cnn_pool2d_backward(ctx, &g, mode, x.data(), xl, dy.data(), yl, dx.data(), xl), CNN_OK);
                ReferenceBackward(g, mode, x, dy, edx);
                std::fill(edx.begin() + (ptrdiff_t)xl, edx.end(), 7.0f);
                ASSERT_EQ(FirstDifference(dx, edx), -1) << "backward " << (mode ? "avg" : "max") << " " << k << "x" << k << " width " << w;
            }
}
