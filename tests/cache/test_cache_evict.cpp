// Eviction: least recently used first under the size bound (BECORE_CACHE_MAX_SIZE, trim),
// in batches, never an entry being rebuilt; evict --older-than and --stale; leftovers older
// than an hour go with trimming; statistics are flushed once per process.
#include "cache_process_util.h"

#include <becore/cache/kernel_cache.h>

#include <gtest/gtest.h>

#include <set>

namespace be {
namespace {

namespace fs = std::filesystem;
using test::bytes_of;

constexpr uint64_t k_header = 24;

class CacheEvict : public test::CacheDirTest {
  protected:
    static CacheKeyInputs inputs(int i) { return variant_inputs(i); }
    // Entry i takes k_header + 100 bytes; its last use is `ages[i]` hours ago.
    std::vector<std::string> store_aged(const std::vector<int>& ages) {
        std::vector<std::string> keys;
        {
            auto cache = open();
            for (size_t i = 0; i < ages.size(); ++i)
                keys.push_back(
                    cache
                        ->store(inputs(static_cast<int>(i)), {}, std::vector<char>(100, 'x'), 1, "")
                        .value());
        }
        for (size_t i = 0; i < ages.size(); ++i)
            test::exec_sql(index(), "UPDATE entries SET last_used = last_used - " +
                                        std::to_string(ages[i] * 3600) + " WHERE key = '" +
                                        keys[i] + "'");
        return keys;
    }
    // Which of entries 0..n-1 are still there (by listing: a lookup would count as a use).
    std::vector<bool> present(size_t n) {
        auto cache = open();
        std::set<std::string> listed;
        for (const auto& e : cache->list())
            listed.insert(e.key);
        std::vector<bool> found;
        for (size_t i = 0; i < n; ++i)
            found.push_back(listed.count(key_of(static_cast<int>(i))) != 0);
        return found;
    }
    static std::string key_of(int i) {
        // The key a store of inputs(i) with a 100-byte blob and no headers gets.
        auto memory = KernelCache::in_memory();
        return memory->store(inputs(i), {}, std::vector<char>(100, 'x'), 1, "").value();
    }

    test::ScopedEnv max_{"BECORE_CACHE_MAX_SIZE", std::nullopt};
};

TEST_F(CacheEvict, TrimRemovesLeastRecentlyUsedFirst) {
    auto keys = store_aged({5, 1, 9, 3, 7});
    const uint64_t entry = k_header + 100;
    auto report = open()->trim(3 * entry);
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->entries_removed, 2u);
    EXPECT_EQ(report->bytes_freed, 2 * entry);
    EXPECT_EQ(report->bytes, 3 * entry);
    // 9 and 7 hours ago were the least recently used.
    EXPECT_EQ(present(5), (std::vector<bool>{true, true, false, true, false}));
    EXPECT_FALSE(fs::exists(test::blob_path(cache_dir(), keys[2])));
    EXPECT_EQ(open()->trim(entry).value().entries_removed, 2u); // then 5 and 3
    EXPECT_EQ(present(5), (std::vector<bool>{false, true, false, false, false}));
}

TEST_F(CacheEvict, UseInThisProcessCountsBeforeItIsFlushed) {
    store_aged({9, 1});
    auto cache = open();
    ASSERT_TRUE(cache->lookup(inputs(0)).has_value()); // now the most recently used
    EXPECT_EQ(cache->trim(k_header + 100).value().entries_removed, 1u);
    EXPECT_TRUE(cache->lookup(inputs(0)).has_value());
    EXPECT_FALSE(cache->lookup(inputs(1)).has_value());
}

TEST_F(CacheEvict, StoreKeepsTheCacheUnderItsBound) {
    test::ScopedEnv max("BECORE_CACHE_MAX_SIZE", "1K");
    auto cache = open();
    EXPECT_EQ(cache->max_size(), 1024u);
    for (int i = 0; i < 30; ++i) {
        ASSERT_TRUE(cache->store(inputs(i), {}, std::vector<char>(100, 'y'), 1, "").ok());
        EXPECT_LE(cache->stats().bytes, 1024u) << "after store " << i;
        EXPECT_TRUE(cache->lookup(inputs(i)).has_value()) << "the newest entry was evicted";
    }
    EXPECT_FALSE(cache->lookup(inputs(0)).has_value());
}

TEST_F(CacheEvict, BoundComesFromTheEnvironment) {
    {
        test::ScopedEnv max("BECORE_CACHE_MAX_SIZE", "3M");
        EXPECT_EQ(open()->max_size(), 3u << 20);
    }
    EXPECT_EQ(open()->max_size(), k_default_cache_max_size);
    test::ScopedEnv bad("BECORE_CACHE_MAX_SIZE", "lots");
    testing::internal::CaptureStderr();
    EXPECT_EQ(open()->max_size(), k_default_cache_max_size);
    std::string warnings = testing::internal::GetCapturedStderr();
    EXPECT_NE(warnings.find("BECORE_CACHE_MAX_SIZE"), std::string::npos) << warnings;
}

TEST_F(CacheEvict, ManyEntriesGoInBatches) {
    auto cache = open();
    for (int i = 0; i < 200; ++i)
        ASSERT_TRUE(cache->store(inputs(i), {}, bytes_of("z"), 1, "").ok());
    auto report = cache->trim(0);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->entries_removed, 200u);
    EXPECT_EQ(report->bytes, 0u);
    EXPECT_TRUE(cache->list().empty());
    EXPECT_TRUE(fs::is_empty(cache_dir() / "v1" / "tmp"));
}

TEST_F(CacheEvict, EntryBeingRebuiltIsNotEvicted) {
    store_aged({5, 4});
    auto cache = open();
    auto lock = cache->lock_for_compile(inputs(0), std::chrono::seconds(1));
    ASSERT_TRUE(lock.held());
    auto report = cache->trim(0).value();
    EXPECT_EQ(report.entries_removed, 1u);
    EXPECT_EQ(report.entries_busy, 1u);
    lock.release();
    EXPECT_EQ(present(2), (std::vector<bool>{true, false}));
}

TEST_F(CacheEvict, OlderThan) {
    store_aged({24 * 10, 1, 24 * 8, 0});
    auto report = open()->evict_older_than(std::chrono::hours(24 * 7));
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->entries_removed, 2u);
    EXPECT_EQ(present(4), (std::vector<bool>{false, true, false, true}));
}

TEST_F(CacheEvict, StaleToolchainOrFormat) {
    std::string newer_version_key;
    {
        auto cache = open();
        auto old_toolchain = inputs(0);
        old_toolchain.toolchain = "clang 15.0.7;libstdc++ 20220819;tbb 2021.5";
        auto other_backend = inputs(1);
        other_backend.backend = "cuda";
        other_backend.toolchain = "nvrtc 12.0";
        ASSERT_TRUE(cache->store(old_toolchain, {}, bytes_of("a"), 1, "").ok());
        ASSERT_TRUE(cache->store(other_backend, {}, bytes_of("b"), 1, "").ok());
        ASSERT_TRUE(cache->store(inputs(2), {}, bytes_of("c"), 1, "").ok());
        newer_version_key = cache->store(inputs(3), {}, bytes_of("d"), 1, "").value();
    }
    // An entry of another becore version can never hit either.
    test::exec_sql(index(), "UPDATE entries SET becore_version = '0.0.1' WHERE key = '" +
                                newer_version_key + "'");
    const auto current = test::sample_inputs();
    auto report = open()->evict_stale({{"cpu", current.toolchain, current.kernel_headers_hash}});
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->entries_removed, 2u);
    auto left = open()->list();
    ASSERT_EQ(left.size(), 2u);
    std::set<std::string> backends;
    for (const auto& e : left)
        backends.insert(e.backend);
    EXPECT_EQ(backends, (std::set<std::string>{"cpu", "cuda"})); // unknown backends are kept
    EXPECT_EQ(present(4), (std::vector<bool>{false, false, true, false}));
}

TEST_F(CacheEvict, TrimRemovesLeftoversOlderThanAnHour) {
    store_aged({0});
    const fs::path tmp = cache_dir() / "v1" / "tmp";
    test::write_file(tmp / "old.1.a", "x");
    test::write_file(tmp / "young.2.b", "x");
    test::write_file(test::blob_path(cache_dir(), std::string(32, 'c')), "orphan");
    test::write_file(cache_dir() / "v1" / "locks" / std::string(32, 'd'), "");
    test::age_file(tmp / "old.1.a", 7200);
    test::age_file(test::blob_path(cache_dir(), std::string(32, 'c')), 7200);
    test::age_file(cache_dir() / "v1" / "locks" / std::string(32, 'd'), 7200);
    auto report = open()->trim(1 << 20).value();
    EXPECT_EQ(report.entries_removed, 0u);
    EXPECT_EQ(report.orphans_removed, 1u);
    EXPECT_EQ(report.temp_files_removed, 1u);
    EXPECT_FALSE(fs::exists(tmp / "old.1.a"));
    EXPECT_TRUE(fs::exists(tmp / "young.2.b"));
    EXPECT_FALSE(fs::exists(cache_dir() / "v1" / "locks" / std::string(32, 'd')));
    EXPECT_EQ(present(1), (std::vector<bool>{true}));
}

TEST_F(CacheEvict, StatisticsAreFlushedOncePerProcess) {
    store_aged({0});
    auto reader = open();
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(reader->lookup(inputs(0)).has_value());
    // Nothing written yet: another process sees none of these hits...
    EXPECT_EQ(open()->stats().hits, 0u);
    reader.reset(); // ...until this one ends
    auto stats = open()->stats();
    EXPECT_EQ(stats.hits, 5u);
    EXPECT_EQ(open()->list().at(0).hits, 5u);
}

TEST_F(CacheEvict, InMemoryCacheTrimsToo) {
    auto memory = KernelCache::in_memory();
    ASSERT_TRUE(memory->store(inputs(0), {}, bytes_of("m"), 1, "").ok());
    EXPECT_EQ(memory->trim(0).value().entries_removed, 1u);
    EXPECT_FALSE(memory->lookup(inputs(0)).has_value());
}

} // namespace
} // namespace be
