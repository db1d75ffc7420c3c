#include <gtest/gtest.h>
#include "cnn_native.h"

TEST(Version, ReportsTheHeaderVersion) {
    int major = -1, minor = -1;
    ASSERT_EQ(cnn_version(&major, &minor), CNN_OK);
    EXPECT_EQ(major, CNN_NATIVE_VERSION_MAJOR);
    EXPECT_EQ(minor, CNN_NATIVE_VERSION_MINOR);
}

TEST(Version, RejectsNullPointers) {
    int v = 0;
    EXPECT_EQ(cnn_version(nullptr, &v), CNN_E_NULL_POINTER);
    EXPECT_EQ(cnn_version(&v, nullptr), CNN_E_NULL_POINTER);
}
