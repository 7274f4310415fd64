// Bitwise determinism across thread counts and processes. BECORE_THREADS is read once per
// process, so a "parent" test re-runs one "child" test of its own binary in child processes with
// BECORE_THREADS=1, 2 and 2; each child chains the bytes of its outputs into a digest and writes
// it (with the thread limit it ran under) to the file named by BECORE_DIGEST_OUT. The child tests
// check their outputs against references too, so they are tests on their own.
#pragma once

#include "test_support.h"

#include <becore/runtime/array.h>
#include <becore/runtime/threads.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace be::test {

constexpr uint64_t k_digest_start = 1469598103934665603ull;

// FNV-1a over the bytes of a, continuing from h.
inline uint64_t digest(const HostArray& a, uint64_t h = k_digest_start) {
    const auto* p = static_cast<const unsigned char*>(a.data());
    for (int64_t i = 0; i < a.nbytes(); ++i)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

// In a child test: hands the digest to the parent, if a parent started this process.
inline void write_digest(uint64_t h) {
    if (const char* path = std::getenv("BECORE_DIGEST_OUT"))
        std::ofstream(path) << active_thread_limit() << " " << h << "\n";
}

// In the parent test: runs `child` ("Suite.Name") with 1, 2 and 2 threads and expects one digest.
inline void expect_one_digest_for_any_thread_count(const std::string& child) {
    if (std::thread::hardware_concurrency() < 2)
        GTEST_SKIP() << "one core: BECORE_THREADS=2 would still run one worker, so the threaded "
                        "kernel paths cannot be compared with the serial ones here";
    TempDir dir;
    const auto self = std::filesystem::read_symlink("/proc/self/exe");
    auto run = [&](int threads, const std::string& name) {
        const auto out = dir / name;
        const CommandResult r = run_command("BECORE_THREADS=" + std::to_string(threads) +
                                            " BECORE_DIGEST_OUT=" + out.string() + " " +
                                            self.string() + " --gtest_filter=" + child);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        std::ifstream in(out);
        int used = 0;
        uint64_t h = 0;
        in >> used >> h;
        EXPECT_EQ(used, threads) << "the child did not run with BECORE_THREADS=" << threads;
        return h;
    };
    const uint64_t one = run(1, "t1"), two = run(2, "t2"), two_again = run(2, "t2b");
    EXPECT_NE(one, 0u);
    EXPECT_EQ(one, two) << "1 vs 2 threads";
    EXPECT_EQ(two, two_again) << "two processes with 2 threads";
}

} // namespace be::test
