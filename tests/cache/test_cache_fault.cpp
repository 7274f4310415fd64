// Crash safety of a store: BECORE_FAULT=<stage> kills the process at that stage; the next
// process sees the old state (never a damaged entry), builds, and verify is clean. What the crash
// left behind is no finding while young and is removed by verify --fix once an hour old.
#include "cache_process_util.h"

#include <becore/cache/kernel_cache.h>

#include <gtest/gtest.h>

namespace be {
namespace {

namespace fs = std::filesystem;

class CacheFault : public ::testing::TestWithParam<const char*> {};

TEST_P(CacheFault, CrashAtStageLeavesOldStateAndNextProcessBuilds) {
    const std::string stage = GetParam();
    test::TempDir src, work;
    auto old_files = test::write_tiny_kernels(src.path(), 1);
    std::vector<fs::path> new_files{src / "fresh.cpp"};
    test::write_file(new_files[0],
                     "// @BE fresh\nvoid fresh(BE::Tensor& o) { o.data_ptr<float>()[0] = 4; }\n");
    const fs::path cache = work / "cache";
    ASSERT_EQ(test::run_probe(cache, old_files).exit_code, 0); // the old state: one entry

    auto crashed = test::run_probe(cache, {old_files[0], new_files[0]}, "BECORE_FAULT=" + stage);
    EXPECT_EQ(crashed.exit_code, 134) << crashed.output;
    EXPECT_NE(crashed.output.find("fault injected at " + stage), std::string::npos)
        << crashed.output;
    EXPECT_FALSE(crashed.result.has_value()) << "the process should have died in the store";

    EXPECT_TRUE(test::verify_cache(cache).findings.empty());
    auto next = test::run_probe(cache, {old_files[0], new_files[0]});
    ASSERT_EQ(next.exit_code, 0) << next.output;
    EXPECT_EQ(next.result.value()["hits"], 1);     // the old entry survived
    EXPECT_EQ(next.result.value()["compiled"], 1); // the crashed store never committed
    EXPECT_EQ(next.warnings(), 0) << next.output;
    EXPECT_TRUE(test::verify_cache(cache).findings.empty());
    auto again = test::run_probe(cache, {old_files[0], new_files[0]});
    EXPECT_EQ(again.result.value()["hits"], 2);

    // An hour later, a temp file the crash left (before the rename) is a finding for --fix; a
    // renamed blob was taken over by the next store of the same key.
    test::age_files_below(cache / "v1" / "tmp", 7200);
    test::age_files_below(cache / "v1" / "blobs", 7200);
    auto report = test::verify_cache(cache, true);
    const bool before_rename = stage == "after-temp-write" || stage == "after-fsync";
    ASSERT_EQ(report.findings.size(), before_rename ? 1u : 0u);
    if (before_rename) {
        EXPECT_EQ(report.findings[0].kind, "stale_temp");
        EXPECT_TRUE(report.findings[0].fixed);
    }
    EXPECT_TRUE(test::verify_cache(cache).findings.empty());
    EXPECT_TRUE(fs::is_empty(cache / "v1" / "tmp"));
}

INSTANTIATE_TEST_SUITE_P(CacheStages, CacheFault,
                         ::testing::Values("after-temp-write", "after-fsync", "after-rename",
                                           "before-commit"),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (char& c : name)
                                 if (c == '-') c = '_';
                             return name;
                         });

TEST(CacheFaultUnknown, AnUnknownStageChangesNothing) {
    test::TempDir src, work;
    auto files = test::write_tiny_kernels(src.path(), 1);
    auto run = test::run_probe(work / "cache", files, "BECORE_FAULT=nowhere");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.result.value()["compiled"], 1);
}

} // namespace
} // namespace be
