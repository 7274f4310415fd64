// The persistent cache: layout, round trips across instances (as across processes), damaged
// blobs, statistics, clear, the in-memory mode and the choice of directory.
#include "cache_process_util.h"
#include "cache_test_util.h"
#include "test_support.h"

#include <becore/cache/kernel_cache.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace be {
namespace {

namespace fs = std::filesystem;
using test::blob_path;
using test::bytes_of;
using test::sample_inputs;

constexpr uint64_t k_header_bytes = 24; // blob header: magic, version, size, checksum

class CacheStore : public ::testing::Test {
  protected:
    fs::path cache_dir() const { return dir_ / "cache"; }
    std::shared_ptr<KernelCache> open() { return KernelCache::open(cache_dir()); }

    // Stores the sample kernel in a fresh instance, which is then closed.
    std::string store_sample(const std::string& payload = "object code") {
        auto cache = open();
        auto key = cache->store(sample_inputs(), {}, bytes_of(payload), 1.5, "[\"add\"]");
        EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().message);
        return key.ok() ? *key : std::string();
    }

    test::ScopedEnv salt_{"BECORE_CACHE_SALT", std::nullopt};
    test::TempDir dir_;
};

TEST_F(CacheStore, RoundTripInANewInstance) {
    std::string key = store_sample();
    auto cache = open(); // a new process would see exactly this
    ASSERT_TRUE(cache->persistent()) << cache->warning();
    auto hit = cache->lookup(sample_inputs());
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->key, key);
    EXPECT_EQ(hit->blob, bytes_of("object code"));
    EXPECT_EQ(hit->metadata, "[\"add\"]");
}

TEST_F(CacheStore, EmptyBlobRoundTrips) {
    {
        auto cache = open();
        ASSERT_TRUE(cache->store(sample_inputs(), {}, {}, 0.1, "").ok());
    }
    auto hit = open()->lookup(sample_inputs());
    ASSERT_TRUE(hit.has_value());
    EXPECT_TRUE(hit->blob.empty());
}

TEST_F(CacheStore, Layout) {
    std::string key = store_sample();
    auto cache = open();
    EXPECT_EQ(cache->directory(), cache_dir() / "v1");
    EXPECT_TRUE(cache->warning().empty());
    EXPECT_TRUE(fs::is_regular_file(cache_dir() / "v1" / "index.sqlite3"));
    fs::path blob = blob_path(cache_dir(), key);
    ASSERT_TRUE(fs::is_regular_file(blob));
    EXPECT_EQ(blob.parent_path().filename(), key.substr(0, 2));
    std::string bytes = test::read_file(blob);
    EXPECT_EQ(bytes.substr(0, 4), "BECB");
    EXPECT_EQ(bytes.size(), k_header_bytes + std::string("object code").size());
    EXPECT_EQ(bytes.substr(k_header_bytes), "object code");
    // Temp files are renamed away (or removed) by the time store() returns.
    EXPECT_TRUE(fs::is_empty(cache_dir() / "v1" / "tmp"));
}

TEST_F(CacheStore, DirectoryCreatedPrivate) {
    auto nested = dir_ / "a" / "b" / "cache";
    auto cache = KernelCache::open(nested);
    ASSERT_TRUE(cache->persistent()) << cache->warning();
    for (const fs::path& path : {nested, nested / "v1", nested / "v1" / "blobs"}) {
        struct stat info {};
        ASSERT_EQ(::stat(path.c_str(), &info), 0) << path;
        EXPECT_EQ(info.st_mode & 0777, 0700u) << path;
    }
}

TEST_F(CacheStore, ListDescribesEntries) {
    std::string key = store_sample();
    auto entries = open()->list();
    ASSERT_EQ(entries.size(), 1u);
    const auto& entry = entries[0];
    EXPECT_EQ(entry.key, key);
    EXPECT_EQ(entry.backend, "cpu");
    EXPECT_EQ(entry.source_display, "kernels/add.cpp");
    EXPECT_EQ(entry.target, sample_inputs().target);
    EXPECT_EQ(entry.toolchain, sample_inputs().toolchain);
    EXPECT_EQ(entry.size_bytes, fs::file_size(blob_path(cache_dir(), key)));
    EXPECT_DOUBLE_EQ(entry.compile_seconds, 1.5);
    EXPECT_GT(entry.created, 0);
    EXPECT_EQ(entry.last_used, entry.created);
    EXPECT_EQ(entry.hits, 0u);
    EXPECT_EQ(entry.metadata, "[\"add\"]");
}

TEST_F(CacheStore, StoringTheSameKeyTwiceKeepsOneEntry) {
    store_sample();
    store_sample();
    EXPECT_EQ(open()->list().size(), 1u);
}

// After the sample entry's blob was damaged: the lookup misses with one warning, the entry is
// gone and counted, and a recompile stores it again.
void expect_recovered(const fs::path& cache_dir, const std::string& key) {
    auto cache = KernelCache::open(cache_dir);
    testing::internal::CaptureStderr();
    EXPECT_FALSE(cache->lookup(sample_inputs()).has_value());
    std::string warnings = testing::internal::GetCapturedStderr();
    EXPECT_NE(warnings.find("becore: warning: cache entry " + key), std::string::npos) << warnings;
    EXPECT_EQ(std::count(warnings.begin(), warnings.end(), '\n'), 1) << warnings;
    EXPECT_TRUE(cache->list().empty());
    EXPECT_FALSE(fs::exists(blob_path(cache_dir, key)));
    auto stats = cache->stats();
    EXPECT_EQ(stats.corrupt_recovered, 1u);
    EXPECT_EQ(stats.misses, 1u);
    EXPECT_EQ(stats.hits, 0u);
    // The caller recompiles and stores; the entry is good again.
    ASSERT_TRUE(cache->store(sample_inputs(), {}, bytes_of("object code"), 1.5, "").ok());
    EXPECT_TRUE(cache->lookup(sample_inputs()).has_value());
}

TEST_F(CacheStore, TruncatedBlobIsRemoved) {
    std::string key = store_sample();
    fs::path blob = blob_path(cache_dir(), key);
    fs::resize_file(blob, fs::file_size(blob) - 3);
    expect_recovered(cache_dir(), key);
}

TEST_F(CacheStore, BlobTruncatedInsideItsHeaderIsRemoved) {
    std::string key = store_sample();
    fs::resize_file(blob_path(cache_dir(), key), 10);
    expect_recovered(cache_dir(), key);
}

TEST_F(CacheStore, BitFlippedBlobIsRemoved) {
    std::string key = store_sample();
    fs::path blob = blob_path(cache_dir(), key);
    std::string bytes = test::read_file(blob);
    bytes[k_header_bytes + 2] ^= 0x10;
    test::write_file(blob, bytes);
    expect_recovered(cache_dir(), key);
}

TEST_F(CacheStore, BadMagicIsRemoved) {
    std::string key = store_sample();
    fs::path blob = blob_path(cache_dir(), key);
    std::string bytes = test::read_file(blob);
    bytes[0] = 'X';
    test::write_file(blob, bytes);
    expect_recovered(cache_dir(), key);
}

TEST_F(CacheStore, ValidBlobOfAnotherEntryIsRejected) {
    // A self-consistent blob under the wrong name fails the index's checksum.
    std::string key = store_sample("first");
    fs::path blob = blob_path(cache_dir(), key);
    std::string original = test::read_file(blob);
    {
        auto cache = open();
        auto other = sample_inputs();
        other.source_text += "// other";
        auto other_key = cache->store(other, {}, bytes_of("second"), 1, "");
        ASSERT_TRUE(other_key.ok());
        fs::copy_file(blob_path(cache_dir(), *other_key), blob,
                      fs::copy_options::overwrite_existing);
    }
    auto cache = open();
    testing::internal::CaptureStderr();
    EXPECT_FALSE(cache->lookup(sample_inputs()).has_value());
    std::string warnings = testing::internal::GetCapturedStderr();
    EXPECT_NE(warnings.find("checksum"), std::string::npos) << warnings;
    EXPECT_EQ(cache->stats().corrupt_recovered, 1u);
}

TEST_F(CacheStore, MissingBlobIsAMissAndTheRowGoes) {
    std::string key = store_sample();
    fs::remove(blob_path(cache_dir(), key));
    expect_recovered(cache_dir(), key);
}

TEST_F(CacheStore, ReadErrorKeepsTheEntry) {
    // A directory in the blob's place opens but fails to read (EISDIR), as a failing disk would
    // (EIO); that is no proof of corruption, so nothing is deleted.
    std::string key = store_sample();
    fs::path blob = blob_path(cache_dir(), key);
    fs::path saved = dir_ / "saved-blob";
    fs::rename(blob, saved);
    fs::create_directory(blob);
    {
        auto cache = open();
        testing::internal::CaptureStderr();
        EXPECT_FALSE(cache->lookup(sample_inputs()).has_value());
        std::string warnings = testing::internal::GetCapturedStderr();
        EXPECT_NE(warnings.find("could not be read"), std::string::npos) << warnings;
        EXPECT_EQ(cache->list().size(), 1u);
        EXPECT_EQ(cache->stats().corrupt_recovered, 0u);
    }
    fs::remove(blob);
    fs::rename(saved, blob);
    EXPECT_TRUE(open()->lookup(sample_inputs()).has_value());
}

TEST_F(CacheStore, StatsPersistAcrossInstances) {
    {
        auto cache = open();
        EXPECT_FALSE(cache->lookup(sample_inputs()).has_value());
        ASSERT_TRUE(cache->store(sample_inputs(), {}, bytes_of("obj"), 2.0, "").ok());
        EXPECT_TRUE(cache->lookup(sample_inputs()).has_value());
        EXPECT_TRUE(cache->lookup(sample_inputs()).has_value());
        auto stats = cache->stats(); // unflushed counters are included
        EXPECT_EQ(stats.hits, 2u);
        EXPECT_EQ(stats.misses, 1u);
    }
    auto cache = open();
    auto stats = cache->stats();
    EXPECT_EQ(stats.entries, 1u);
    EXPECT_EQ(stats.bytes, k_header_bytes + 3);
    EXPECT_EQ(stats.hits, 2u);
    EXPECT_EQ(stats.misses, 1u);
    EXPECT_EQ(stats.compiles, 1u);
    EXPECT_EQ(stats.corrupt_recovered, 0u);
    EXPECT_DOUBLE_EQ(stats.compile_seconds_saved, 4.0);
    auto entries = cache->list();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].hits, 2u);
}

TEST_F(CacheStore, FlushingTwiceCountsOnce) {
    {
        auto cache = open();
        EXPECT_FALSE(cache->lookup(sample_inputs()).has_value());
        cache->flush_stats();
        cache->flush_stats();
        EXPECT_EQ(cache->stats().misses, 1u);
    }
    EXPECT_EQ(open()->stats().misses, 1u);
}

// A follower (an MPI rank other than 0) stores and finds entries like any process, counts for
// itself, but writes no statistics: the index keeps the leader's counters and entry hits only.
TEST_F(CacheStore, AFollowerWritesNoStatistics) {
    auto leader = open();
    auto follower = open();
    follower->set_follower(true);
    EXPECT_TRUE(follower->follower());
    EXPECT_FALSE(leader->follower());
    EXPECT_FALSE(follower->lookup(sample_inputs()).has_value());
    ASSERT_TRUE(follower->store(sample_inputs(), {}, bytes_of("a"), 1, "").ok());
    EXPECT_EQ(follower->lookup(sample_inputs())->blob, bytes_of("a"));
    EXPECT_EQ(leader->lookup(sample_inputs())->blob, bytes_of("a"));
    const auto own = follower->stats(); // its own counters, unflushed
    EXPECT_EQ(own.misses, 1u);
    EXPECT_EQ(own.hits, 1u);
    EXPECT_EQ(own.compiles, 1u);
    follower->flush_stats();
    follower.reset(); // the destructor flushes too
    leader.reset();
    const auto stats = open()->stats();
    EXPECT_EQ(stats.entries, 1u);
    EXPECT_EQ(stats.hits, 1u); // the leader's
    EXPECT_EQ(stats.misses, 0u);
    EXPECT_EQ(stats.compiles, 0u);
    auto entries = open()->list();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].hits, 1u);
}

TEST_F(CacheStore, TwoInstancesShareTheIndex) {
    auto first = open();
    auto second = open();
    auto other = sample_inputs();
    other.backend = "cuda-emu";
    ASSERT_TRUE(first->store(sample_inputs(), {}, bytes_of("a"), 1, "").ok());
    ASSERT_TRUE(second->store(other, {}, bytes_of("b"), 1, "").ok());
    EXPECT_EQ(second->lookup(sample_inputs())->blob, bytes_of("a"));
    EXPECT_EQ(first->lookup(other)->blob, bytes_of("b"));
    first->flush_stats();
    second->flush_stats();
    auto stats = open()->stats();
    EXPECT_EQ(stats.hits, 2u);
    EXPECT_EQ(stats.compiles, 2u);
}

TEST_F(CacheStore, ConcurrentProcessesStoreAndLookUp) {
    constexpr int k_children = 4, k_entries = 8;
    std::vector<pid_t> children;
    for (int child = 0; child < k_children; ++child) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            int failures = 0;
            {
                auto cache = KernelCache::open(cache_dir());
                for (int i = 0; i < k_entries; ++i) {
                    auto inputs = sample_inputs();
                    inputs.source_text += std::to_string(i); // children share keys on purpose
                    if (!cache->lookup(inputs)) {
                        std::string payload = "payload " + std::to_string(i);
                        if (!cache->store(inputs, {}, bytes_of(payload), 0.1, "").ok()) ++failures;
                    }
                    if (!cache->lookup(inputs)) ++failures;
                }
            }
            ::_exit(failures == 0 ? 0 : 1);
        }
        children.push_back(pid);
    }
    for (pid_t pid : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    auto cache = open();
    EXPECT_EQ(cache->list().size(), static_cast<size_t>(k_entries));
    auto stats = cache->stats();
    EXPECT_EQ(stats.hits + stats.misses, 2u * k_children * k_entries);
    EXPECT_EQ(stats.compiles, stats.misses);
}

TEST_F(CacheStore, ThreadsShareOneInstance) {
    auto cache = open();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&cache, t] {
            for (int i = 0; i < 10; ++i) {
                auto inputs = sample_inputs();
                inputs.source_text += std::to_string(t * 100 + i);
                EXPECT_TRUE(cache->store(inputs, {}, bytes_of("x"), 0.1, "").ok());
                EXPECT_TRUE(cache->lookup(inputs).has_value());
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(cache->list().size(), 40u);
    EXPECT_EQ(cache->stats().hits, 40u);
}

TEST_F(CacheStore, ClearAndDryRun) {
    auto cache = open();
    auto other = sample_inputs();
    other.flags.push_back("-g");
    auto a = cache->store(sample_inputs(), {}, bytes_of("12345"), 1, "");
    auto b = cache->store(other, {}, bytes_of("1234567890"), 1, "");
    ASSERT_TRUE(a.ok() && b.ok());
    const uint64_t expected = 2 * k_header_bytes + 15;
    EXPECT_EQ(cache->stats().bytes, expected);

    auto dry = cache->clear(true);
    ASSERT_TRUE(dry.ok());
    EXPECT_EQ(*dry, expected);
    EXPECT_EQ(cache->list().size(), 2u);
    EXPECT_TRUE(fs::exists(blob_path(cache_dir(), *a)));

    auto freed = cache->clear(false);
    ASSERT_TRUE(freed.ok());
    EXPECT_EQ(*freed, expected);
    EXPECT_TRUE(cache->list().empty());
    EXPECT_EQ(cache->stats().entries, 0u);
    EXPECT_FALSE(fs::exists(blob_path(cache_dir(), *a)));
    EXPECT_FALSE(fs::exists(blob_path(cache_dir(), *b)));
    EXPECT_FALSE(cache->lookup(sample_inputs()).has_value());
    EXPECT_FALSE(open()->lookup(other).has_value());
    EXPECT_EQ(cache->clear(true).value(), 0u);
}

TEST_F(CacheStore, UnusableDirectoryFallsBackToMemory) {
    fs::path file = dir_ / "not-a-dir";
    test::write_file(file, "x");
    testing::internal::CaptureStderr();
    auto cache = KernelCache::open(file);
    std::string warnings = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(cache->persistent());
    EXPECT_TRUE(cache->directory().empty());
    EXPECT_NE(cache->warning().find(file.string()), std::string::npos) << cache->warning();
    EXPECT_NE(warnings.find("becore: warning: "), std::string::npos);
    ASSERT_TRUE(cache->store(sample_inputs(), {}, bytes_of("obj"), 1, "").ok());
    EXPECT_TRUE(cache->lookup(sample_inputs()).has_value());
}

TEST_F(CacheStore, DamagedIndexIsMovedAsideAndStartedAnew) {
    // More in test_cache_damage.cpp; an index of another (newer) becore is never touched.
    fs::create_directories(cache_dir() / "v1");
    test::write_file(cache_dir() / "v1" / "index.sqlite3", std::string(4096, 'z'));
    testing::internal::CaptureStderr();
    auto cache = open();
    testing::internal::GetCapturedStderr();
    EXPECT_TRUE(cache->persistent());
    EXPECT_NE(cache->warning().find("was corrupt"), std::string::npos) << cache->warning();
    EXPECT_TRUE(fs::exists(cache_dir() / "v1" / "index.sqlite3.corrupt"));
}

TEST_F(CacheStore, IndexOfANewerSchemaIsNeverTouched) {
    store_sample();
    test::exec_sql(cache_dir() / "v1" / "index.sqlite3", "PRAGMA user_version = 99");
    testing::internal::CaptureStderr();
    auto cache = open();
    testing::internal::GetCapturedStderr();
    EXPECT_FALSE(cache->persistent());
    EXPECT_NE(cache->warning().find("newer"), std::string::npos) << cache->warning();
    EXPECT_FALSE(fs::exists(cache_dir() / "v1" / "index.sqlite3.corrupt"));
}

TEST(CacheMemory, WorksWithoutADisk) {
    test::ScopedEnv salt("BECORE_CACHE_SALT", std::nullopt);
    auto cache = KernelCache::in_memory();
    EXPECT_FALSE(cache->persistent());
    EXPECT_TRUE(cache->directory().empty());
    EXPECT_TRUE(cache->warning().empty());
    EXPECT_FALSE(cache->lookup(sample_inputs()).has_value());
    auto key = cache->store(sample_inputs(), {}, bytes_of("obj"), 3, "meta");
    ASSERT_TRUE(key.ok());
    auto hit = cache->lookup(sample_inputs());
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->key, *key);
    EXPECT_EQ(hit->blob, bytes_of("obj"));
    EXPECT_EQ(hit->metadata, "meta");
    cache->flush_stats();
    auto stats = cache->stats();
    EXPECT_EQ(stats.entries, 1u);
    EXPECT_EQ(stats.hits, 1u);
    EXPECT_EQ(stats.misses, 1u);
    EXPECT_EQ(stats.compiles, 1u);
    EXPECT_DOUBLE_EQ(stats.compile_seconds_saved, 3.0);
    EXPECT_EQ(cache->list().at(0).hits, 1u);
    EXPECT_EQ(cache->clear(false).value(), k_header_bytes + 3);
    EXPECT_FALSE(cache->lookup(sample_inputs()).has_value());
}

TEST(CacheMemory, SeparateInstancesShareNothing) {
    auto a = KernelCache::in_memory();
    auto b = KernelCache::in_memory();
    ASSERT_TRUE(a->store(sample_inputs(), {}, bytes_of("obj"), 1, "").ok());
    EXPECT_FALSE(b->lookup(sample_inputs()).has_value());
}

TEST(CacheDirectory, EnvironmentPrecedence) {
    test::ScopedEnv home("HOME", "/home/someone");
    {
        test::ScopedEnv dir("BECORE_CACHE_DIR", "/custom/cache");
        test::ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
        EXPECT_EQ(KernelCache::default_directory(), fs::path("/custom/cache"));
    }
    test::ScopedEnv dir("BECORE_CACHE_DIR", std::nullopt);
    {
        test::ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
        EXPECT_EQ(KernelCache::default_directory(), fs::path("/xdg/becore"));
    }
    {
        test::ScopedEnv xdg("XDG_CACHE_HOME", "relative/xdg"); // invalid per the XDG spec
        EXPECT_EQ(KernelCache::default_directory(), fs::path("/home/someone/.cache/becore"));
    }
    {
        test::ScopedEnv empty("BECORE_CACHE_DIR", "");
        test::ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
        EXPECT_EQ(KernelCache::default_directory(), fs::path("/home/someone/.cache/becore"));
    }
}

TEST(CacheDirectory, OpenDefaultHonoursTheEnvironment) {
    test::TempDir dir;
    test::ScopedEnv cache_dir("BECORE_CACHE_DIR", (dir / "c").string());
    {
        test::ScopedEnv off("BECORE_CACHE", "off");
        EXPECT_FALSE(KernelCache::open_default()->persistent());
    }
    test::ScopedEnv on("BECORE_CACHE", std::nullopt);
    auto cache = KernelCache::open_default();
    EXPECT_TRUE(cache->persistent()) << cache->warning();
    EXPECT_EQ(cache->directory(), dir / "c" / "v1");
}

} // namespace
} // namespace be
