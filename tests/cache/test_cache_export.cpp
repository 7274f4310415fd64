// Export and import: entries moved between caches through an export file, the selection (prefix,
// CPU level), the checks of the reader (every damage found, nothing imported), trust of the file.
#include "cache_test_util.h"
#include "test_support.h"

#include <becore/cache/export_file.h>
#include <becore/cache/kernel_cache.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace be {
namespace {

namespace fs = std::filesystem;
using test::bytes_of;
using test::sample_inputs;

constexpr const char* k_native = "x86_64-pc-linux-gnu;sapphirerapids;+avx512f,+sse2,";
constexpr const char* k_level = "x86_64-pc-linux-gnu;x86-64-v3";

CacheKeyInputs inputs_for(const std::string& backend, const std::string& target,
                          const std::string& source) {
    auto inputs = sample_inputs();
    inputs.backend = backend;
    inputs.target = target;
    inputs.source_text = source;
    inputs.source_display = source + ".src";
    return inputs;
}

std::vector<char> bytes(const fs::path& file) {
    auto text = test::read_file(file);
    return {text.begin(), text.end()};
}

class CacheExport : public ::testing::Test {
  protected:
    std::shared_ptr<KernelCache> open(const std::string& name) {
        auto cache = KernelCache::open(dir_ / name);
        EXPECT_TRUE(cache->writable()) << cache->warning();
        return cache;
    }
    // Cache "a": a native CPU entry (prefix p), a level CPU entry (p), a native emulation entry
    // (q), a CUDA entry (q).
    void fill_a() {
        auto a = open("a");
        struct Entry {
            const char *backend, *target, *source, *metadata;
        };
        for (const Entry& e :
             {Entry{"cpu", k_native, "native", "p.add,p.sub"},
              Entry{"cpu", k_level, "level", "p.mul"}, Entry{"cuda-emu", k_native, "emu", "q.rows"},
              Entry{"cuda", "sm_90", "cubin", "q.rows"}}) {
            auto key = a->store(inputs_for(e.backend, e.target, e.source), {},
                                bytes_of(std::string("binary of ") + e.source), 0.25, e.metadata);
            ASSERT_TRUE(key) << key.error().message;
        }
    }
    Result<ExportReport> export_a(const ExportOptions& options = all()) {
        return open("a")->export_to(file_, options);
    }
    static ExportOptions all() {
        ExportOptions options;
        options.all_cpu_targets = true;
        return options;
    }
    std::vector<std::string> keys_of(const std::string& name) {
        std::vector<std::string> keys;
        for (const auto& e : open(name)->list())
            keys.push_back(e.key);
        std::sort(keys.begin(), keys.end());
        return keys;
    }
    // Imports `file` into cache "b" as `kernelctl import` does: read (checked), then store.
    Result<ImportReport> import_b(const fs::path& file, const ImportOptions& options = {}) {
        auto entries = read_export_file(file, false);
        if (!entries) return entries.error();
        return open("b")->import_entries(*entries, options);
    }

    test::ScopedEnv salt_{"BECORE_CACHE_SALT", std::nullopt};
    test::TempDir dir_;
    fs::path file_ = dir_ / "warm.becache";
};

TEST_F(CacheExport, RoundTripHitsInAnotherCacheWithTheSameBinaries) {
    fill_a();
    auto exported = export_a();
    ASSERT_TRUE(exported) << exported.error().message;
    EXPECT_EQ(exported->entries, 4u);
    EXPECT_EQ(exported->file_bytes, fs::file_size(file_));
    size_t payload_bytes = 0;
    for (const char* source : {"native", "level", "emu", "cubin"})
        payload_bytes += (std::string("binary of ") + source).size();
    EXPECT_EQ(exported->payload_bytes, payload_bytes);
    struct stat info {};
    ASSERT_EQ(::stat(file_.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u); // executable code: not for others to read or write

    auto imported = import_b(file_);
    ASSERT_TRUE(imported) << imported.error().message;
    EXPECT_EQ(imported->entries, 4u);
    EXPECT_EQ(imported->imported, 4u);
    EXPECT_EQ(imported->already_present, 0u);
    EXPECT_EQ(keys_of("b"), keys_of("a"));

    auto b = open("b");
    auto hit = b->lookup(inputs_for("cuda", "sm_90", "cubin"));
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->blob, bytes_of("binary of cubin"));
    EXPECT_EQ(hit->metadata, "q.rows");
    auto level = b->lookup(inputs_for("cpu", k_level, "level"));
    ASSERT_TRUE(level);
    EXPECT_EQ(level->blob, bytes_of("binary of level"));
    EXPECT_EQ(b->stats().compiles, 0u);
    auto verified = b->verify();
    ASSERT_TRUE(verified);
    EXPECT_TRUE(verified->findings.empty()) << verified->findings[0].detail;
    for (const auto& e : b->list())
        EXPECT_EQ(e.compile_seconds, 0.25) << e.key; // compile_seconds_saved stays truthful
}

TEST_F(CacheExport, DefaultLeavesOutCpuEntriesForThisCpuModel) {
    fill_a();
    auto exported = export_a({});
    ASSERT_TRUE(exported) << exported.error().message;
    EXPECT_EQ(exported->entries, 2u); // the level entry and the CUDA one
    EXPECT_EQ(exported->skipped_native, 2u);
    ASSERT_TRUE(import_b(file_));
    auto b = open("b");
    EXPECT_TRUE(b->lookup(inputs_for("cpu", k_level, "level")));
    EXPECT_TRUE(b->lookup(inputs_for("cuda", "sm_90", "cubin")));
    EXPECT_FALSE(b->lookup(inputs_for("cpu", k_native, "native")));
    EXPECT_FALSE(b->lookup(inputs_for("cuda-emu", k_native, "emu")));
}

TEST_F(CacheExport, PrefixSelectsByTheTargetNamesOfTheMetadata) {
    fill_a();
    ExportOptions options = all();
    options.prefix = "q";
    auto exported = export_a(options);
    ASSERT_TRUE(exported) << exported.error().message;
    EXPECT_EQ(exported->entries, 2u);
    EXPECT_EQ(exported->skipped_prefix, 2u);
    auto entries = read_export_file(file_, false);
    ASSERT_TRUE(entries) << entries.error().message;
    for (const auto& e : *entries)
        EXPECT_EQ(e.metadata, "q.rows");
    // A prefix is a whole name component: "p" is not a prefix of "pq.x" targets.
    {
        auto a = open("a");
        ASSERT_TRUE(a->store(inputs_for("cuda", "sm_80", "other"), {}, bytes_of("x"), 1, "pq.x"));
    }
    options.prefix = "p";
    exported = export_a(options);
    ASSERT_TRUE(exported);
    EXPECT_EQ(exported->entries, 2u);
    EXPECT_EQ(exported->skipped_prefix, 3u);
}

TEST_F(CacheExport, ReimportKeepsWhatIsThereAndCountsIt) {
    fill_a();
    ASSERT_TRUE(export_a());
    ASSERT_TRUE(import_b(file_));
    auto again = import_b(file_);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->imported, 0u);
    EXPECT_EQ(again->already_present, 4u);
    EXPECT_EQ(keys_of("b"), keys_of("a"));
}

TEST_F(CacheExport, EntriesForAnotherMachineAreImportedButNeverHit) {
    fill_a();
    ASSERT_TRUE(export_a());
    ImportOptions options;
    // "This machine": the level CPU target and no CUDA device.
    options.usable_here = [](const std::vector<std::pair<std::string, std::string>>& fields) {
        for (const auto& [name, value] : fields)
            if (name == "target") return value == k_level;
        return false;
    };
    auto imported = import_b(file_, options);
    ASSERT_TRUE(imported) << imported.error().message;
    EXPECT_EQ(imported->imported, 4u);
    EXPECT_EQ(imported->matching, 1u);
    // Their keys hold another CPU: the same source for this machine's target misses.
    auto b = open("b");
    EXPECT_FALSE(b->lookup(inputs_for("cpu", "x86_64-pc-linux-gnu;znver4;+avx2,", "native")));
    EXPECT_TRUE(b->lookup(inputs_for("cpu", k_native, "native")));
}

TEST_F(CacheExport, EveryFlippedByteAndEveryTruncationIsAnError) {
    fill_a();
    ASSERT_TRUE(export_a());
    const auto good = bytes(file_);
    ASSERT_TRUE(parse_export_file(good));
    for (size_t i = 0; i < good.size(); ++i) {
        auto damaged = good;
        damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
        auto parsed = parse_export_file(damaged);
        EXPECT_FALSE(parsed) << "byte " << i << " of " << good.size();
    }
    for (size_t size = 0; size < good.size(); ++size) {
        auto parsed = parse_export_file(std::span<const char>(good.data(), size));
        ASSERT_FALSE(parsed) << "cut at " << size;
        EXPECT_NE(parsed.error().message.find(size == 0 ? "empty" : "truncated"), std::string::npos)
            << "cut at " << size << ": " << parsed.error().message;
    }
    auto longer = good;
    longer.push_back('x');
    EXPECT_NE(parse_export_file(longer).error().message.find("1 bytes after the trailer"),
              std::string::npos);
}

// The message names what is wrong for each kind of damage.
TEST_F(CacheExport, DamageIsNamed) {
    fill_a();
    ASSERT_TRUE(export_a());
    const auto good = bytes(file_);
    auto at = [&](const std::string& text) {
        auto found = std::search(good.begin(), good.end(), text.begin(), text.end());
        EXPECT_NE(found, good.end()) << text;
        return static_cast<size_t>(found - good.begin());
    };
    auto message = [&](size_t offset, char value) {
        auto damaged = good;
        damaged[offset] = value;
        auto parsed = parse_export_file(damaged);
        return parsed ? std::string("(accepted)") : parsed.error().message;
    };
    EXPECT_NE(message(0, 'X').find("not a becore export file"), std::string::npos);
    EXPECT_NE(message(8, 7).find("export format version 7"), std::string::npos);
    EXPECT_NE(message(16, 5).find("the header says 5 entries, the file ends after 4"),
              std::string::npos);
    EXPECT_NE(message(at("binary of level"), 'B').find("payload checksum mismatch"),
              std::string::npos);
    EXPECT_NE(message(at("sm_90"), 'S').find("the key does not follow"), std::string::npos);
    EXPECT_NE(message(at("cubin.src"), 'C').find("file checksum mismatch"), std::string::npos);
    EXPECT_NE(message(good.size() - 1, good.back() ^ 1).find("file checksum mismatch"),
              std::string::npos);
    auto entry = message(at("ENTR") + 1, 'X');
    EXPECT_NE(entry.find("entry 1 of 4 does not start with an entry marker"), std::string::npos)
        << entry;
    auto truncated = parse_export_file(std::span<const char>(good.data(), at("binary of level")));
    ASSERT_FALSE(truncated);
    EXPECT_NE(truncated.error().message.find("truncated inside entry"), std::string::npos);
    EXPECT_NE(truncated.error().message.find("its payload"), std::string::npos);
    auto no_trailer = parse_export_file(std::span<const char>(good.data(), good.size() - 24));
    EXPECT_NE(no_trailer.error().message.find("truncated after entry 4 of 4"), std::string::npos);
}

// Entries that are well formed and carry a valid file checksum, yet are wrong: the reader checks
// each entry's content itself, not only the file's integrity.
TEST_F(CacheExport, ForgedEntriesAreRefusedThoughTheFileChecksumHolds) {
    fill_a();
    ASSERT_TRUE(export_a());
    auto entries = read_export_file(file_, false);
    ASSERT_TRUE(entries);
    auto rewrite = [&](auto change) {
        auto forged = *entries;
        change(forged);
        auto written =
            write_export_file(dir_ / "forged", forged.size(),
                              [&](uint64_t i) -> Result<ExportedEntry> { return forged[i]; });
        EXPECT_TRUE(written) << written.error().message;
        auto parsed = read_export_file(dir_ / "forged", false);
        return parsed ? std::string("(accepted)") : parsed.error().message;
    };
    EXPECT_NE(rewrite([](auto& f) { f[1].payload[0] ^= 1; }).find("payload checksum mismatch"),
              std::string::npos);
    EXPECT_NE(rewrite([](auto& f) {
                  f[2].fields[7].second = "x86_64;other";
              }).find("the key does not follow from the entry's key fields"),
              std::string::npos);
    EXPECT_NE(rewrite([](auto& f) {
                  f[0].fields[0].second = "2";
              }).find("cache format 2, this becore uses 1"),
              std::string::npos);
    EXPECT_NE(rewrite([](auto& f) { f[0].fields[3].second = "fpga"; }).find("unknown backend"),
              std::string::npos);
    EXPECT_NE(rewrite([](auto& f) {
                  f[0].fields[1].first = "version";
              }).find("key field 2 is 'version', expected 'becore_version'"),
              std::string::npos);
    EXPECT_NE(
        rewrite([](auto& f) {
            f[3] = f[0];
        }).find("entry 4 of 4 (key " + (*entries)[0].key + ") repeats an earlier entry's key"),
        std::string::npos);
    EXPECT_NE(rewrite([](auto& f) { f[0].headers = "nonsense"; }).find("manifest is malformed"),
              std::string::npos);
    EXPECT_EQ(rewrite([](auto&) {}), "(accepted)");
}

TEST_F(CacheExport, ADamagedFileImportsNothing) {
    fill_a();
    ASSERT_TRUE(export_a());
    {
        auto b = open("b");
        ASSERT_TRUE(b->store(inputs_for("cpu", k_level, "own"), {}, bytes_of("own"), 1, "b.own"));
    }
    const auto before = keys_of("b");
    auto damaged = bytes(file_);
    damaged[damaged.size() / 2] ^= 0x40;
    test::write_file(file_, std::string(damaged.begin(), damaged.end()));
    EXPECT_FALSE(import_b(file_));
    EXPECT_EQ(keys_of("b"), before);
    EXPECT_TRUE(fs::is_empty(dir_ / "b" / "v1" / "tmp"));
    for (const auto& shard : fs::directory_iterator(dir_ / "b" / "v1" / "blobs"))
        EXPECT_EQ(std::distance(fs::directory_iterator(shard), fs::directory_iterator()), 1)
            << shard.path(); // only the entry b had
}

TEST_F(CacheExport, AFileOthersCanWriteIsRefusedUnlessTrusted) {
    fill_a();
    ASSERT_TRUE(export_a());
    ASSERT_EQ(::chmod(file_.c_str(), 0666), 0);
    auto refused = read_export_file(file_, false);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("writable by others (mode 0666)"), std::string::npos)
        << refused.error().message;
    EXPECT_NE(refused.error().message.find("executable code"), std::string::npos);
    EXPECT_NE(refused.error().message.find("--trust"), std::string::npos);
    EXPECT_TRUE(read_export_file(file_, true));
}

TEST_F(CacheExport, AFileOfAnotherUserIsRefusedUnlessTrusted) {
    fill_a();
    ASSERT_TRUE(export_a());
    // CI runs as root, which can give the file away; anyone else cannot.
    if (::chown(file_.c_str(), 4242, 4242) != 0)
        GTEST_SKIP() << "chown to another user needs root: " << std::strerror(errno);
    auto refused = read_export_file(file_, false);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("owned by uid 4242"), std::string::npos)
        << refused.error().message;
    EXPECT_TRUE(read_export_file(file_, true));
}

TEST_F(CacheExport, ImportNeedsAWritableDiskCache) {
    fill_a();
    ASSERT_TRUE(export_a());
    auto entries = read_export_file(file_, false);
    ASSERT_TRUE(entries);
    auto memory = KernelCache::in_memory()->import_entries(*entries);
    ASSERT_FALSE(memory);
    EXPECT_NE(memory.error().message.find("the cache is in memory"), std::string::npos);
}

TEST_F(CacheExport, ADamagedBlobStopsTheExportAndNamesTheEntry) {
    fill_a();
    auto key = open("a")->lookup(inputs_for("cuda", "sm_90", "cubin"))->key;
    auto blob = test::blob_path(dir_ / "a", key);
    auto text = test::read_file(blob);
    text.back() ^= 1;
    ASSERT_EQ(::chmod(blob.c_str(), 0600), 0);
    test::write_file(blob, text);
    auto exported = export_a();
    ASSERT_FALSE(exported);
    EXPECT_NE(exported.error().message.find("entry " + key + " (cubin.src): its blob is corrupt"),
              std::string::npos)
        << exported.error().message;
    EXPECT_NE(exported.error().message.find("kernelctl verify --fix"), std::string::npos);
    EXPECT_FALSE(fs::exists(file_));
    for (const auto& f : fs::directory_iterator(dir_.path())) // no temp file left beside it
        EXPECT_NE(f.path().filename().string().rfind(".warm", 0), 0u) << f.path();
}

} // namespace
} // namespace be
