// Every be::Error carries a code (be::ErrorCode) that a program can act on without reading the
// message: one real failure per code, produced the way a user would meet it. The cases that need
// a particular process state (no CUDA driver, a read-only file system) run this binary again as a
// child with that state, filtered to a *Child test that the parent's run skips.
#include "test_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>

#include <gtest/gtest.h>

#include <cstdlib>

namespace be {
namespace {

bool in_child() {
    return std::getenv("BECORE_ERROR_CODES_CHILD") != nullptr;
}

// Runs the *Child test `name` of this binary in a fresh process, with `env` (NAME=value ...)
// and under `wrap` (a shell prefix, e.g. to remount), and expects it to pass.
void run_child(const std::string& name, const std::string& env, const std::string& wrap = "") {
    auto result = test::run_command(wrap + "env BECORE_ERROR_CODES_CHILD=1 " + env + " " +
                                    std::filesystem::read_symlink("/proc/self/exe").string() +
                                    " --gtest_filter=ErrorCodes." + name);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("[  PASSED  ] 1 test"), std::string::npos) << result.output;
}

class ErrorCodes : public ::testing::Test {
  protected:
    test::TempDir cache_dir;
    Registry registry{KernelCache::open(cache_dir.path())};
};

TEST(ErrorCodeNames, AreStable) {
    EXPECT_STREQ(error_code_name(ErrorCode::invalid_argument), "invalid_argument");
    EXPECT_STREQ(error_code_name(ErrorCode::not_found), "not_found");
    EXPECT_STREQ(error_code_name(ErrorCode::unavailable), "unavailable");
    EXPECT_STREQ(error_code_name(ErrorCode::compile_failed), "compile_failed");
    EXPECT_STREQ(error_code_name(ErrorCode::kernel_failed), "kernel_failed");
    EXPECT_STREQ(error_code_name(ErrorCode::io), "io");
}

TEST_F(ErrorCodes, ABadShapeIsAnInvalidArgument) {
    auto array = HostArray::create(DType::float32, {4, -2});
    ASSERT_FALSE(array);
    EXPECT_EQ(array.error().code(), ErrorCode::invalid_argument) << array.error().message;
    EXPECT_STREQ(array.error().code_name(), "invalid_argument");
    EXPECT_NE(array.error().message.find("dimension 1 is negative"), std::string::npos);
}

TEST_F(ErrorCodes, AnUnknownTargetIsNotFound) {
    auto called = registry.call("nowhere.nothing", {}, {});
    ASSERT_FALSE(called);
    EXPECT_EQ(called.error().code(), ErrorCode::not_found) << called.error().message;
    EXPECT_NE(called.error().message.find("no such target"), std::string::npos);
}

TEST_F(ErrorCodes, ASyntaxErrorIsCompileFailed) {
    auto loaded =
        registry.load_cpp_inline("broken", "// @BE f\nvoid f(BE::Tensor& y) { y = }\n", "broken");
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code(), ErrorCode::compile_failed) << loaded.error().full();
    EXPECT_NE(loaded.error().log.find("expected expression"), std::string::npos);
}

TEST_F(ErrorCodes, AFailingCheckIsKernelFailed) {
    ASSERT_TRUE(
        registry.load_cpp_inline("checked",
                                 "// @BE positive\nvoid positive(BE::Tensor& y, double v) {\n"
                                 "    BE_CHECK(v > 0, \"v must be positive\");\n}\n",
                                 "checked"));
    auto y = HostArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {y.view()};
    auto called = registry.call("checked.positive", {}, rets, {{"v", -1.0}});
    ASSERT_FALSE(called);
    EXPECT_EQ(called.error().code(), ErrorCode::kernel_failed) << called.error().message;
    EXPECT_NE(called.error().message.find("v must be positive"), std::string::npos);
}

TEST_F(ErrorCodes, NoCudaDriverIsUnavailable) {
    if (in_child()) GTEST_SKIP() << "the parent's case";
    run_child("NoCudaDriverChild", "BECORE_LIBCUDA_PATH=/nonexistent/libcuda.so.1");
}

TEST_F(ErrorCodes, NoCudaDriverChild) {
    if (!in_child()) GTEST_SKIP() << "run by NoCudaDriverIsUnavailable in a fresh process";
    auto array = DeviceArray::create(DType::float32, {8});
    ASSERT_FALSE(array);
    EXPECT_EQ(array.error().code(), ErrorCode::unavailable) << array.error().message;
    EXPECT_NE(array.error().message.find("no CUDA device"), std::string::npos);
}

// Root writes through file modes, so the directory is made read-only by a read-only bind mount
// in a private mount namespace (as tests/cache/test_cache_trust.cpp does).
TEST_F(ErrorCodes, AReadOnlyCacheDirectoryIsIo) {
    if (in_child()) GTEST_SKIP() << "the parent's case";
    auto probe = test::run_command("unshare -m true");
    if (probe.exit_code != 0) GTEST_SKIP() << "no private mount namespace: " << probe.output;
    auto dir = cache_dir.path().string();
    run_child("ReadOnlyCacheChild", "BECORE_CACHE_DIR=" + dir,
              "unshare -m sh -c 'mount --bind " + dir + " " + dir +
                  " && mount -o remount,bind,ro " + dir + " && exec \"$0\" \"$@\"' ");
}

TEST_F(ErrorCodes, ReadOnlyCacheChild) {
    if (!in_child()) GTEST_SKIP() << "run by AReadOnlyCacheDirectoryIsIo in a fresh process";
    auto cache = KernelCache::open(std::getenv("BECORE_CACHE_DIR"));
    auto cleared = cache->clear(false);
    ASSERT_FALSE(cleared);
    EXPECT_EQ(cleared.error().code(), ErrorCode::io) << cleared.error().message;
    EXPECT_NE(cleared.error().message.find("cannot be written"), std::string::npos);
}

} // namespace
} // namespace be
