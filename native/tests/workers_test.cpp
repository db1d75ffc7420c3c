// The context's worker threads (workers.c), seen through the ops: results that do not depend on which thread ran
// which task, helpers that sleep and wake again, and contexts started and stopped many times.
#include "fixture.h"
#include <chrono>
#include <cstring>
#include <thread>

namespace {

struct Context {
    cnn_context *ctx = nullptr;
    explicit Context(int threads) { EXPECT_EQ(CreateTestContext(threads, &ctx), CNN_OK); }
    ~Context() { cnn_context_destroy(ctx); }
};

// Two images of a 16-channel 5x5 convolution: enough tasks for every thread, and partial sums in backward filter.
const cnn_conv2d_geometry kGeom = {2, 16, 12, 12, 24, 5, 5, 1, 1, 2, 2};
const size_t kX = 2 * 16 * 12 * 12, kW = 24 * 16 * 5 * 5, kY = 2 * 24 * 12 * 12;

std::vector<float> Random(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (auto &x : v) x = d(rng);
    return v;
}

bool SameBits(const std::vector<float> &a, const std::vector<float> &b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

// Backward filter adds per-group partial sums in group order: the bits depend on the thread count only, not on
// which worker claimed which task, however often it runs (here with more threads than the machine may have).
TEST(Workers, BackwardFilterGivesTheSameBitsEveryRun) {
    auto x = Random(kX, 1), dy = Random(kY, 2);
    Context c(3);
    std::vector<float> first(kW, 0.0f), db_first(24, 0.0f);
    ASSERT_EQ(cnn_conv2d_backward_filter(c.ctx, &kGeom, x.data(), kX, dy.data(), kY, first.data(), kW, db_first.data(), 24), CNN_OK);
    for (int run = 0; run < 30; run++) {
        std::vector<float> dw(kW, 0.0f), db(24, 0.0f);
        ASSERT_EQ(cnn_conv2d_backward_filter(c.ctx, &kGeom, x.data(), kX, dy.data(), kY, dw.data(), kW, db.data(), 24), CNN_OK);
        ASSERT_TRUE(SameBits(dw, first)) << "run " << run;
        ASSERT_TRUE(SameBits(db, db_first)) << "run " << run;
    }
}

// Forward splits output positions, never a sum: every thread count gives the bits of one thread.
TEST(Workers, ForwardIsTheSameForEveryThreadCount) {
    auto x = Random(kX, 3), w = Random(kW, 4), bias = Random(24, 5);
    std::vector<float> one(kY);
    {
        Context c(1);
        ASSERT_EQ(cnn_conv2d_forward(c.ctx, &kGeom, x.data(), kX, w.data(), kW, bias.data(), 24, one.data(), kY), CNN_OK);
    }
    for (int threads : {2, 3, 8}) {
        Context c(threads);
        std::vector<float> y(kY, NAN);
        ASSERT_EQ(cnn_conv2d_forward(c.ctx, &kGeom, x.data(), kX, w.data(), kW, bias.data(), 24, y.data(), kY), CNN_OK);
        EXPECT_TRUE(SameBits(y, one)) << threads << " threads";
    }
}

// After a pause longer than the helpers' spin they sleep; the next ops must wake them and still be complete.
TEST(Workers, HelpersThatSleptWakeForTheNextOp) {
    Context c(4);
    const int64_t n = 1 << 20;  // long enough to be split across threads
    std::vector<float> v(n);
    for (int round = 0; round < 5; round++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
        ASSERT_EQ(cnn_fill(c.ctx, n, (float)round, v.data(), n), CNN_OK);
        for (int64_t i = 0; i < n; i += 4093) ASSERT_EQ(v[i], (float)round) << "round " << round << ", element " << i;
        ASSERT_EQ(v[n - 1], (float)round);
    }
}

// Starting and stopping helpers many times, with and without work in between, neither hangs nor leaks a failure.
TEST(Workers, ContextsStartAndStopTheirThreadsRepeatedly) {
    std::vector<float> v(1 << 17);
    for (int i = 0; i < 50; i++) {
        Context c(1 + i % 4);
        ASSERT_NE(c.ctx, nullptr);
        if (i % 2) ASSERT_EQ(cnn_fill(c.ctx, (int64_t)v.size(), 1.0f, v.data(), (int64_t)v.size()), CNN_OK);
    }
}

// Two contexts used from two threads at once are independent (each has its own helpers and workspace).
TEST(Workers, TwoContextsRunConcurrently) {
    auto x = Random(kX, 6), w = Random(kW, 7);
    std::vector<float> expected(kY);
    {
        Context c(1);
        ASSERT_EQ(cnn_conv2d_forward(c.ctx, &kGeom, x.data(), kX, w.data(), kW, nullptr, 0, expected.data(), kY), CNN_OK);
    }
    bool same[2] = {false, false};
    auto run = [&](int i) {
        Context c(2);
        std::vector<float> y(kY);
        bool ok = true;
        for (int rep = 0; rep < 20 && ok; rep++)
            ok = cnn_conv2d_forward(c.ctx, &kGeom, x.data(), kX, w.data(), kW, nullptr, 0, y.data(), kY) == CNN_OK && SameBits(y, expected);
        same[i] = ok;
    };
    std::thread a(run, 0), b(run, 1);
    a.join();
    b.join();
    EXPECT_TRUE(same[0]);
    EXPECT_TRUE(same[1]);
}
