// Choosing the instruction set of a context's kernels: what the processor supports, what a context reports, and the
// arguments cnn_context_create_isa refuses. (That both builds compute correctly is the op tests' job: CTest runs
// them on the default set and again with CNN_TEST_ISA=avx2.)
#include <gtest/gtest.h>
#include "cnn_native.h"

// What the processor offers, asked independently of the library.
#define Has(feature) (__builtin_cpu_init(), __builtin_cpu_supports(feature) != 0)

TEST(Isa, SupportAgreesWithTheProcessor) {
    bool avx2 = Has("avx2") && Has("fma"), avx512 = avx2 && Has("avx512f");
    int supported = -1;
    ASSERT_EQ(cnn_isa_supported(CNN_ISA_AVX2, &supported), CNN_OK);
    EXPECT_EQ(supported, avx2 ? 1 : 0);
    ASSERT_EQ(cnn_isa_supported(CNN_ISA_AVX512, &supported), CNN_OK);
    EXPECT_EQ(supported, avx512 ? 1 : 0);
    ASSERT_EQ(cnn_isa_supported(CNN_ISA_AUTO, &supported), CNN_OK);
    EXPECT_EQ(supported, avx2 ? 1 : 0);
    EXPECT_EQ(cnn_isa_supported(3, &supported), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(cnn_isa_supported(CNN_ISA_AVX2, nullptr), CNN_E_NULL_POINTER);
}

TEST(Isa, ContextsReportTheSetTheyUse) {
    bool avx512 = Has("avx512f");
    cnn_context *ctx = nullptr;
    int isa = -1;
    ASSERT_EQ(cnn_context_create(1, &ctx), CNN_OK);
    ASSERT_EQ(cnn_context_isa(ctx, &isa), CNN_OK);
    EXPECT_EQ(isa, avx512 ? CNN_ISA_AVX512 : CNN_ISA_AVX2) << "the default is the widest set the processor runs";
    cnn_context_destroy(ctx);

    ASSERT_EQ(cnn_context_create_isa(2, CNN_ISA_AVX2, &ctx), CNN_OK);
    ASSERT_EQ(cnn_context_isa(ctx, &isa), CNN_OK);
    EXPECT_EQ(isa, CNN_ISA_AVX2);
    cnn_context_destroy(ctx);

    int status = cnn_context_create_isa(2, CNN_ISA_AVX512, &ctx);
    if (avx512) {
        ASSERT_EQ(status, CNN_OK);
        ASSERT_EQ(cnn_context_isa(ctx, &isa), CNN_OK);
        EXPECT_EQ(isa, CNN_ISA_AVX512);
        cnn_context_destroy(ctx);
    } else {
        EXPECT_EQ(status, CNN_E_UNSUPPORTED_CPU);
        EXPECT_EQ(ctx, nullptr);
    }
}

TEST(Isa, BadArgumentsReturnTheirStatusInTheDocumentedOrder) {
    cnn_context *ctx = reinterpret_cast<cnn_context *>(0x1);
    EXPECT_EQ(cnn_context_create_isa(1, 7, &ctx), CNN_E_INVALID_ARGUMENT);
    EXPECT_EQ(ctx, nullptr);
    EXPECT_EQ(cnn_context_create_isa(-1, 7, &ctx), CNN_E_INVALID_SIZE) << "sizes are checked before other arguments";
    EXPECT_EQ(cnn_context_create_isa(1, CNN_ISA_AVX2, nullptr), CNN_E_NULL_POINTER);
    int isa;
    EXPECT_EQ(cnn_context_isa(nullptr, &isa), CNN_E_NULL_POINTER);
    ASSERT_EQ(cnn_context_create_isa(1, CNN_ISA_AUTO, &ctx), CNN_OK);
    EXPECT_EQ(cnn_context_isa(ctx, nullptr), CNN_E_NULL_POINTER);
    cnn_context_destroy(ctx);
}
