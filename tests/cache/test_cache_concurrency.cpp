// Concurrency across processes: the per-key compile lock (N processes starting together on an
// empty cache compile each kernel once; a lock timeout compiles anyway), and kill -9 at random
// moments during builds never leaves a damaged entry.
#include "cache_process_util.h"

#include <becore/cache/kernel_cache.h>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

namespace be {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(CacheConcurrency, CompileLockExcludesAndTimesOutWithOneWarning) {
    test::TempDir dir;
    auto cache = KernelCache::open(dir / "c");
    auto first = cache->lock_for_compile(test::sample_inputs(), 1s);
    ASSERT_TRUE(first.held());
    // flock excludes other open file descriptions, in this process as in others.
    testing::internal::CaptureStderr();
    auto second = cache->lock_for_compile(test::sample_inputs(), 50ms);
    std::string warnings = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(second.held());
    EXPECT_EQ(test::count_lines_with(warnings, "becore: warning:"), 1) << warnings;
    EXPECT_NE(warnings.find("compiling without it"), std::string::npos) << warnings;
    // Another key is not blocked.
    auto other_inputs = test::sample_inputs();
    other_inputs.source_text += "// other";
    EXPECT_TRUE(cache->lock_for_compile(other_inputs, 0ms).held());
    first.release();
    EXPECT_TRUE(cache->lock_for_compile(test::sample_inputs(), 0ms).held());
}

TEST(CacheConcurrency, CompileLockWaitsForItsHolder) {
    test::TempDir dir;
    auto cache = KernelCache::open(dir / "c");
    auto held = cache->lock_for_compile(test::sample_inputs(), 1s);
    ASSERT_TRUE(held.held());
    std::thread releaser([&] {
        std::this_thread::sleep_for(100ms);
        held.release();
    });
    auto waited = cache->lock_for_compile(test::sample_inputs(), 30s);
    releaser.join();
    EXPECT_TRUE(waited.held());
}

TEST(CacheConcurrency, NoLockWithoutAWritableDisk) {
    testing::internal::CaptureStderr();
    auto lock = KernelCache::in_memory()->lock_for_compile(test::sample_inputs(), 1s);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
    EXPECT_FALSE(lock.held());
}

TEST(CacheConcurrency, LockIsReleasedWhenItsProcessDies) {
    test::TempDir dir;
    {
        auto cache = KernelCache::open(dir / "c"); // creates the layout before the fork
    }
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto cache = KernelCache::open(dir / "c");
        auto lock = cache->lock_for_compile(test::sample_inputs(), 1s);
        ::kill(::getpid(), SIGKILL); // dies holding it
        ::_exit(1);
    }
    EXPECT_EQ(test::wait_process(child), 128 + SIGKILL);
    auto cache = KernelCache::open(dir / "c");
    EXPECT_TRUE(cache->lock_for_compile(test::sample_inputs(), 0ms).held());
}

TEST(CacheConcurrency, SixProcessesOnAnEmptyCacheCompileEachKernelOnce) {
    constexpr int k_rounds = 20, k_processes = 6, k_files = 3;
    test::TempDir src, work;
    auto files = test::write_tiny_kernels(src.path(), k_files);
    for (int round = 0; round < k_rounds; ++round) {
        const fs::path cache = work / ("round" + std::to_string(round));
        std::vector<pid_t> pids;
        for (int p = 0; p < k_processes; ++p) {
            // Each process takes the files in its own order, so compiles of different kernels
            // overlap and each key sees waiters at different moments.
            std::vector<std::string> argv{test::probe_binary().string()};
            for (int f = 0; f < k_files; ++f)
                argv.push_back(files[(f + p) % k_files].string());
            pids.push_back(test::spawn_process(argv, {"BECORE_CACHE_DIR=" + cache.string()},
                                               work / ("out" + std::to_string(p))));
            ASSERT_GT(pids.back(), 0);
        }
        int hits = 0, compiled = 0;
        for (int p = 0; p < k_processes; ++p) {
            int code = test::wait_process(pids[p]);
            std::string output = test::read_file(work / ("out" + std::to_string(p)));
            ASSERT_EQ(code, 0) << "round " << round << ": " << output;
            auto result = test::probe_result(output);
            ASSERT_TRUE(result.has_value()) << output;
            hits += (*result)["hits"].get<int>();
            compiled += (*result)["compiled"].get<int>();
            EXPECT_EQ(test::count_lines_with(output, "becore: warning:"), 0) << output;
        }
        auto opened = KernelCache::open(cache);
        auto stats = opened->stats();
        EXPECT_EQ(stats.compiles, 3u) << "round " << round;
        EXPECT_EQ(compiled, 3) << "round " << round;
        EXPECT_EQ(hits, k_processes * k_files - 3) << "round " << round;
        EXPECT_EQ(stats.entries, 3u);
        EXPECT_EQ(stats.corrupt_recovered, 0u);
        auto report = opened->verify();
        ASSERT_TRUE(report.ok());
        EXPECT_TRUE(report->findings.empty()) << report->findings.at(0).kind;
        if (HasFailure()) break;
    }
}

TEST(CacheConcurrency, KillNineDuringBuildsNeverLeavesADamagedEntry) {
    constexpr int k_iterations = 50;
    test::TempDir src, work;
    auto files = test::write_tiny_kernels(src.path(), 4);
    const fs::path cache = work / "cache";
    std::mt19937 random(20261122);
    int killed = 0;
    for (int i = 0; i < k_iterations; ++i) {
        // A new salt each time makes every iteration compile and store (each kernel takes a few
        // tens of ms), so the kill lands in a compile, a store, a commit or a stats flush.
        std::vector<std::string> argv{test::probe_binary().string()};
        for (const auto& f : files)
            argv.push_back(f.string());
        pid_t pid = test::spawn_process(
            argv, {"BECORE_CACHE_DIR=" + cache.string(), "BECORE_CACHE_SALT=" + std::to_string(i)},
            work / "out");
        ASSERT_GT(pid, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 400));
        killed += ::kill(pid, SIGKILL) == 0;
        test::wait_process(pid);
    }
    EXPECT_GT(killed, 0);
    // Whatever the kills left: verify finds no damage (young leftovers are not findings)...
    auto report = test::verify_cache(cache);
    EXPECT_TRUE(report.findings.empty())
        << report.findings.at(0).kind << " " << report.findings.at(0).detail;
    // ...every entry that made it is intact and is found, and the cache still works.
    for (int i = 0; i < k_iterations; i += 7) {
        auto run = test::run_probe(cache, files, "BECORE_CACHE_SALT=" + std::to_string(i));
        ASSERT_EQ(run.exit_code, 0) << run.output;
        EXPECT_EQ(run.warnings(), 0) << run.output;
    }
    // Aged an hour, the leftovers are findings that --fix removes; then nothing is left.
    test::age_files_below(cache / "v1" / "tmp", 7200);
    test::age_files_below(cache / "v1" / "blobs", 7200);
    auto fixed = test::verify_cache(cache, true);
    for (const auto& f : fixed.findings) {
        EXPECT_TRUE(f.kind == "stale_temp" || f.kind == "orphan_blob") << f.kind << " " << f.detail;
        EXPECT_TRUE(f.fixed);
    }
    EXPECT_TRUE(test::verify_cache(cache).findings.empty());
}

} // namespace
} // namespace be
