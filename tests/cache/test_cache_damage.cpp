// Damage: every kind is detected (by a lookup or by verify) and repaired with one warning, and
// an I/O error never deletes a good entry. Lookup-time repair of single blobs (truncated,
// flipped, bad magic, missing, another entry's blob) is in test_kernel_cache.cpp; here are
// verify, the index itself, leftovers of crashes, and the same damage seen by fresh processes.
#include "cache_process_util.h"

#include <becore/cache/kernel_cache.h>

#include <gtest/gtest.h>

#include <fstream>

namespace be {
namespace {

namespace fs = std::filesystem;
using test::blob_path;
using test::bytes_of;
using test::finding_kinds;

class CacheDamage : public test::CacheDirTest {
  protected:
    static CacheKeyInputs inputs(int i) {
        auto in = variant_inputs(i);
        in.source_display = "kernels/k" + std::to_string(i) + ".cpp";
        return in;
    }
    // Stores entries 0..n-1 and returns their keys.
    std::vector<std::string> store(int n) {
        auto cache = open();
        std::vector<std::string> keys;
        for (int i = 0; i < n; ++i)
            keys.push_back(
                cache->store(inputs(i), {}, bytes_of("object " + std::to_string(i)), 1, "")
                    .value());
        return keys;
    }
    int hits(int n) {
        auto cache = open();
        int found = 0;
        for (int i = 0; i < n; ++i)
            found += cache->lookup(inputs(i)).has_value();
        return found;
    }
};

TEST_F(CacheDamage, VerifyFindsAndFixesEveryKind) {
    auto keys = store(6);
    // 0 good; 1 truncated; 2 bit flipped; 3 row without blob; 4 unreadable (I/O error);
    // 5 writable by others (not our code whatever it holds).
    fs::resize_file(blob_path(cache_dir(), keys[1]), 20);
    {
        std::string bytes = test::read_file(blob_path(cache_dir(), keys[2]));
        bytes[30] ^= 1;
        test::write_file(blob_path(cache_dir(), keys[2]), bytes);
    }
    fs::remove(blob_path(cache_dir(), keys[3]));
    fs::path saved = dir_ / "saved";
    fs::rename(blob_path(cache_dir(), keys[4]), saved);
    fs::create_directory(blob_path(cache_dir(), keys[4]));
    ::chmod(blob_path(cache_dir(), keys[5]).c_str(), 0666);
    // Blobs without rows and temp files: old ones are leftovers of crashes, young ones may be
    // stores in progress and are no finding.
    const std::string orphan = std::string(32, 'a');
    test::write_file(blob_path(cache_dir(), orphan), "orphan");
    test::age_file(blob_path(cache_dir(), orphan), 7200);
    test::write_file(blob_path(cache_dir(), std::string(32, 'b')), "young orphan");
    test::write_file(cache_dir() / "v1" / "tmp" / (orphan + ".1.x"), "stale temp");
    test::age_file(cache_dir() / "v1" / "tmp" / (orphan + ".1.x"), 7200);
    test::write_file(cache_dir() / "v1" / "tmp" / (orphan + ".2.y"), "young temp");

    auto report = test::verify_cache(cache_dir());
    EXPECT_EQ(report.entries, 6u);
    EXPECT_EQ(report.blobs_ok, 1u);
    EXPECT_FALSE(report.clean());
    EXPECT_EQ(
        finding_kinds(report),
        (std::vector<std::string>{"corrupt_blob", "corrupt_blob", "corrupt_blob", "missing_blob",
                                  "orphan_blob", "stale_temp", "unreadable_blob"}));
    EXPECT_EQ(open()->list().size(), 6u) << "verify without --fix changed something";

    auto fixed = test::verify_cache(cache_dir(), true);
    EXPECT_FALSE(fixed.clean()); // the unreadable blob is never deleted
    for (const auto& f : fixed.findings)
        EXPECT_EQ(f.fixed, f.kind != "unreadable_blob") << f.kind;
    auto again = test::verify_cache(cache_dir());
    EXPECT_EQ(finding_kinds(again), (std::vector<std::string>{"unreadable_blob"}));
    EXPECT_EQ(open()->list().size(), 2u);
    EXPECT_TRUE(fs::exists(blob_path(cache_dir(), std::string(32, 'b'))));
    EXPECT_TRUE(fs::exists(cache_dir() / "v1" / "tmp" / (orphan + ".2.y")));
    // Once the I/O error is gone, the entry it protected is good.
    fs::remove(blob_path(cache_dir(), keys[4]));
    fs::rename(saved, blob_path(cache_dir(), keys[4]));
    EXPECT_TRUE(test::verify_cache(cache_dir()).clean());
    EXPECT_EQ(hits(6), 2);
}

TEST_F(CacheDamage, RowWithoutBlobIsRecompiledByTheNextProcessWithOneWarning) {
    test::TempDir src;
    auto files = test::write_tiny_kernels(src.path(), 3);
    ASSERT_EQ(test::run_probe(cache_dir(), files).exit_code, 0);
    auto entries = open()->list();
    ASSERT_EQ(entries.size(), 3u);
    fs::remove(blob_path(cache_dir(), entries[0].key));
    auto run = test::run_probe(cache_dir(), files);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.result.value()["compiled"], 1);
    EXPECT_EQ(run.result.value()["hits"], 2);
    EXPECT_EQ(run.warnings(), 1) << run.output;
    EXPECT_NE(run.output.find("missing its blob"), std::string::npos) << run.output;
    EXPECT_TRUE(test::verify_cache(cache_dir()).clean());
    auto after = test::run_probe(cache_dir(), files);
    EXPECT_EQ(after.result.value()["hits"], 3);
    EXPECT_EQ(after.warnings(), 0) << after.output;
}

TEST_F(CacheDamage, GarbageIndexIsMovedAsideAndStartedAnew) {
    store(2);
    test::write_file(index(), std::string(8192, 'z'));
    fs::remove(index().string() + "-wal");
    testing::internal::CaptureStderr();
    auto cache = open();
    std::string warnings = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(cache->persistent()) << cache->warning();
    EXPECT_EQ(test::count_lines_with(warnings, "becore: warning:"), 1) << warnings;
    EXPECT_NE(warnings.find("was corrupt"), std::string::npos) << warnings;
    EXPECT_TRUE(fs::exists(index().string() + ".corrupt"));
    EXPECT_TRUE(cache->list().empty());
    ASSERT_TRUE(cache->store(inputs(0), {}, bytes_of("again"), 1, "").ok());
    cache.reset();
    testing::internal::CaptureStderr();
    EXPECT_EQ(hits(2), 1);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST_F(CacheDamage, IndexDamagedInsideIsFoundByALookupAndReplaced) {
    store(40); // enough rows that the tables live on pages past the first
    ASSERT_GT(fs::file_size(index()), 4u * 4096);
    {
        // Keep page 1 (header and schema), overwrite every other page.
        std::fstream f(index(), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(4096);
        std::string garbage(fs::file_size(index()) - 4096, '\xff');
        f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    {
        auto cache = open();
        testing::internal::CaptureStderr();
        EXPECT_FALSE(cache->lookup(inputs(0)).has_value());
        EXPECT_FALSE(cache->lookup(inputs(1)).has_value());
        std::string warnings = testing::internal::GetCapturedStderr();
        EXPECT_EQ(test::count_lines_with(warnings, "becore: warning:"), 1) << warnings;
        EXPECT_NE(warnings.find("is corrupt"), std::string::npos) << warnings;
        // The rest of this process caches in memory.
        ASSERT_TRUE(cache->store(inputs(0), {}, bytes_of("x"), 1, "").ok());
        EXPECT_TRUE(cache->lookup(inputs(0)).has_value());
    }
    EXPECT_TRUE(fs::exists(index().string() + ".corrupt"));
    testing::internal::CaptureStderr();
    auto fresh = open();
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
    EXPECT_TRUE(fresh->persistent());
    EXPECT_TRUE(fresh->list().empty());
    EXPECT_TRUE(test::verify_cache(cache_dir()).clean());
}

TEST_F(CacheDamage, VerifyReportsAndFixesADamagedIndex) {
    store(40);
    {
        std::fstream f(index(), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(3 * 4096);
        std::string garbage(4096, '\x5a');
        f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    auto report = test::verify_cache(cache_dir());
    ASSERT_EQ(finding_kinds(report), (std::vector<std::string>{"index_corrupt"}));
    testing::internal::CaptureStderr();
    auto fixed = test::verify_cache(cache_dir(), true);
    testing::internal::GetCapturedStderr();
    EXPECT_TRUE(fixed.clean());
    EXPECT_TRUE(test::verify_cache(cache_dir()).clean());
}

TEST_F(CacheDamage, DeletedIndexStartsAnewAndItsBlobsBecomeOrphans) {
    auto keys = store(2);
    fs::remove(index());
    fs::remove(index().string() + "-wal");
    fs::remove(index().string() + "-shm");
    testing::internal::CaptureStderr();
    auto cache = open();
    std::string warnings = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(cache->persistent());
    EXPECT_EQ(test::count_lines_with(warnings, "becore: warning:"), 1) << warnings;
    EXPECT_NE(warnings.find("was missing"), std::string::npos) << warnings;
    EXPECT_FALSE(cache->lookup(inputs(0)).has_value());
    cache.reset();
    // Young orphans may be stores in progress; an hour later they are findings.
    EXPECT_TRUE(test::verify_cache(cache_dir()).clean());
    for (const auto& key : keys)
        test::age_file(blob_path(cache_dir(), key), 7200);
    EXPECT_EQ(finding_kinds(test::verify_cache(cache_dir(), true)),
              (std::vector<std::string>{"orphan_blob", "orphan_blob"}));
    EXPECT_FALSE(fs::exists(blob_path(cache_dir(), keys[0])));
    EXPECT_TRUE(test::verify_cache(cache_dir()).clean());
}

TEST_F(CacheDamage, CorruptIndexIsRepairedOnceAcrossProcesses) {
    test::TempDir src;
    auto files = test::write_tiny_kernels(src.path(), 3);
    ASSERT_EQ(test::run_probe(cache_dir(), files).exit_code, 0);
    test::write_file(index(), std::string(4096, 'q'));
    fs::remove(index().string() + "-wal");
    auto run = test::run_probe(cache_dir(), files);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.result.value()["compiled"], 3);
    EXPECT_EQ(run.warnings(), 1) << run.output;
    auto after = test::run_probe(cache_dir(), files);
    EXPECT_EQ(after.result.value()["hits"], 3);
    EXPECT_EQ(after.warnings(), 0) << after.output;
}

TEST_F(CacheDamage, ReadErrorDuringVerifyFixKeepsTheEntry) {
    auto keys = store(1);
    fs::path blob = blob_path(cache_dir(), keys[0]);
    fs::rename(blob, dir_ / "saved");
    fs::create_directory(blob);
    auto report = test::verify_cache(cache_dir(), true);
    ASSERT_EQ(finding_kinds(report), (std::vector<std::string>{"unreadable_blob"}));
    EXPECT_FALSE(report.findings[0].fixed);
    EXPECT_EQ(open()->list().size(), 1u);
}

TEST_F(CacheDamage, BlobWritableByOthersIsNotTrusted) {
    auto keys = store(1);
    ::chmod(blob_path(cache_dir(), keys[0]).c_str(), 0666);
    auto cache = open();
    testing::internal::CaptureStderr();
    EXPECT_FALSE(cache->lookup(inputs(0)).has_value());
    std::string warnings = testing::internal::GetCapturedStderr();
    EXPECT_NE(warnings.find("writable by group or others"), std::string::npos) << warnings;
    EXPECT_EQ(cache->stats().corrupt_recovered, 1u);
}

TEST_F(CacheDamage, DamagedEntryWarnsOncePerProcess) {
    auto keys = store(1);
    auto cache = open();
    // An I/O error keeps the entry, so every lookup meets it again; one warning is enough.
    fs::path blob = blob_path(cache_dir(), keys[0]);
    fs::rename(blob, dir_ / "saved");
    fs::create_directory(blob);
    testing::internal::CaptureStderr();
    for (int i = 0; i < 3; ++i)
        EXPECT_FALSE(cache->lookup(inputs(0)).has_value());
    std::string warnings = testing::internal::GetCapturedStderr();
    EXPECT_EQ(test::count_lines_with(warnings, "becore: warning:"), 1) << warnings;
}

} // namespace
} // namespace be
