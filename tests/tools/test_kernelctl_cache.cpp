// kernelctl's cache commands as a user runs them: stats, zero-stats, show, explain, verify, trim,
// evict; their JSON, their exit codes (0 ok, 1 the work failed, 2 invalid invocation).
#include "process_util.h"
#include "kernelctl_fixture.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

namespace be {
namespace {

namespace fs = std::filesystem;

class KernelctlCache : public test::KernelctlFixture {
  protected:
    void SetUp() override { files_ = test::write_tiny_kernels(src_.path(), 2); }

    void build() {
        auto r = run("build " + files_[0].string() + " " + files_[1].string());
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    std::string first_key() { return run_json("ls --json").at(0)["key"].get<std::string>(); }
    fs::path blob(const std::string& key) {
        return cache / "v1" / "blobs" / key.substr(0, 2) / key;
    }
    void sql(const std::string& statement) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((cache / "v1" / "index.sqlite3").c_str(), &db), SQLITE_OK);
        EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }

    test::TempDir src_;
    std::vector<fs::path> files_;
};

TEST_F(KernelctlCache, HelpForEveryCacheCommand) {
    for (const char* cmd : {"stats", "zero-stats", "show", "explain", "verify", "trim", "evict"}) {
        auto r = run(std::string(cmd) + " --help");
        EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.output;
        EXPECT_NE(r.output.find("Usage"), std::string::npos) << cmd;
    }
}

TEST_F(KernelctlCache, InvalidInvocationsExitTwo) {
    for (const char* args :
         {"trim", "trim --max-size 2X", "trim --max-size", "evict", "evict --older-than 3w",
          "evict --older-than 1d --stale", "show", "show xyz", "show 0123", "explain",
          "explain /no/such.cpp", "verify --frobnicate", "stats extra"}) {
        auto r = run(args);
        EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    }
    test::write_file(src_ / "bad.cpp", "// @BE f bogus\nvoid f(BE::Tensor& o) {}\n");
    EXPECT_EQ(run("explain " + (src_ / "bad.cpp").string()).exit_code, 2);
}

TEST_F(KernelctlCache, StatsCountCompilesHitsAndZeroStatsKeepsEntries) {
    build();
    build();
    auto stats = run_json("stats --json");
    for (const char* key : {"entries", "bytes", "hits", "misses", "compiles", "corrupt_recovered",
                            "compile_seconds_saved", "max_size", "writable", "layers"})
        EXPECT_TRUE(stats.contains(key)) << key;
    EXPECT_EQ(stats["entries"], 2);
    EXPECT_EQ(stats["compiles"], 2);
    EXPECT_EQ(stats["misses"], 2);
    EXPECT_EQ(stats["hits"], 2);
    EXPECT_EQ(stats["corrupt_recovered"], 0);
    EXPECT_GT(stats["compile_seconds_saved"].get<double>(), 0.0);
    EXPECT_EQ(stats["directory"], (cache / "v1").string());
    auto text = run("stats");
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.output.find("compiles             2"), std::string::npos) << text.output;

    EXPECT_EQ(run("zero-stats").exit_code, 0);
    auto zeroed = run_json("stats --json");
    EXPECT_EQ(zeroed["entries"], 2);
    EXPECT_EQ(zeroed["hits"], 0);
    EXPECT_EQ(zeroed["compiles"], 0);
    EXPECT_EQ(zeroed["compile_seconds_saved"], 0.0);
}

TEST_F(KernelctlCache, ShowAcceptsAUniquePrefix) {
    build();
    const std::string key = first_key();
    auto shown = run_json("show --json " + key.substr(0, 8));
    EXPECT_EQ(shown["key"], key);
    EXPECT_EQ(shown["backend"], "cpu");
    EXPECT_EQ(shown["blob"], blob(key).string());
    EXPECT_EQ(shown["checksum"].get<std::string>().size(), 16u);
    bool has_flags = false;
    for (const auto& f : shown["fields"])
        has_flags |= f["name"] == "flags";
    EXPECT_TRUE(has_flags) << shown.dump();
    auto text = run("show " + key.substr(0, 8));
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.output.find(key), std::string::npos);
    EXPECT_EQ(run("show " + key + "0").exit_code, 2); // longer than any key: no match
    // A prefix shared by both entries is ambiguous, unless the keys differ in their first digit.
    auto listed = run_json("ls --json");
    std::string a = listed[0]["key"], b = listed[1]["key"];
    size_t common = 0;
    while (a[common] == b[common])
        ++common;
    if (common > 0) EXPECT_EQ(run("show " + a.substr(0, common)).exit_code, 2);
}

TEST_F(KernelctlCache, ExplainHitAfterBuild) {
    // explain must compute the very key the load looked up.
    build();
    auto explained = run_json("explain --json " + files_[0].string());
    EXPECT_EQ(explained["status"], "hit") << explained.dump(2);
    EXPECT_EQ(explained["layer"], (cache / "v1").string());
    EXPECT_TRUE(explained["nearest"].is_null());
    auto text = run("explain " + files_[0].string());
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.output.find("hit: entry"), std::string::npos) << text.output;
}

TEST_F(KernelctlCache, ExplainNamesTheDifferingField) {
    build();
    auto salted = run_json("explain --json " + files_[0].string(), 0, "BECORE_CACHE_SALT=lab-7");
    EXPECT_EQ(salted["status"], "miss");
    ASSERT_FALSE(salted["nearest"].is_null()) << salted.dump(2);
    ASSERT_EQ(salted["nearest"]["differences"].size(), 1u) << salted.dump(2);
    EXPECT_EQ(salted["nearest"]["differences"][0]["field"], "salt");
    EXPECT_EQ(salted["nearest"]["differences"][0]["ours"], "lab-7");
    EXPECT_EQ(salted["nearest"]["differences"][0]["theirs"], "");

    // A header's content changed: the fields match, the header is named.
    test::write_file(src_ / "h" / "value.h", "constexpr float k_value = 1;\n");
    test::write_file(src_ / "h" / "k.cpp",
                     "#include \"value.h\"\n// @BE get\n"
                     "void get(BE::Tensor& o) { o.data_ptr<float>()[0] = k_value; }\n");
    ASSERT_EQ(run("build " + (src_ / "h" / "k.cpp").string()).exit_code, 0);
    test::write_file(src_ / "h" / "value.h", "constexpr float k_value = 2;\n");
    auto header = run_json("explain --json " + (src_ / "h" / "k.cpp").string());
    EXPECT_EQ(header["status"], "miss");
    ASSERT_EQ(header["nearest"]["differences"].size(), 1u) << header.dump(2);
    EXPECT_EQ(header["nearest"]["differences"][0]["field"], "header 0:value.h");
    auto text = run("explain " + (src_ / "h" / "k.cpp").string());
    EXPECT_NE(text.output.find("header 0:value.h"), std::string::npos) << text.output;
}

TEST_F(KernelctlCache, ExplainOnAnEmptyCache) {
    auto explained = run_json("explain --json " + files_[0].string());
    EXPECT_EQ(explained["status"], "miss");
    EXPECT_TRUE(explained["nearest"].is_null());
}

TEST_F(KernelctlCache, VerifyExitsOneOnDamageAndFixRepairs) {
    build();
    auto clean = run_json("verify --json");
    EXPECT_EQ(clean["clean"], true);
    EXPECT_EQ(clean["entries"], 2);
    EXPECT_EQ(clean["findings"].size(), 0u);
    const std::string key = first_key();
    fs::resize_file(blob(key), 10);
    auto damaged = run_json("verify --json", 1);
    ASSERT_EQ(damaged["findings"].size(), 1u);
    EXPECT_EQ(damaged["findings"][0]["kind"], "corrupt_blob");
    EXPECT_EQ(damaged["findings"][0]["key"], key);
    EXPECT_EQ(damaged["findings"][0]["fixed"], false);
    EXPECT_EQ(run("verify").exit_code, 1);
    auto fixed = run_json("verify --fix --json");
    EXPECT_EQ(fixed["clean"], true);
    EXPECT_EQ(fixed["findings"][0]["fixed"], true);
    EXPECT_EQ(run("verify").exit_code, 0);
    EXPECT_EQ(run_json("ls --json").size(), 1u);
}

TEST_F(KernelctlCache, TrimToASize) {
    build();
    auto before = run_json("stats --json");
    ASSERT_EQ(before["entries"], 2);
    auto trimmed =
        run_json("trim --json --max-size " + std::to_string(before["bytes"].get<uint64_t>() - 1));
    EXPECT_EQ(trimmed["entries_removed"], 1);
    EXPECT_LT(trimmed["bytes"].get<uint64_t>(), before["bytes"].get<uint64_t>());
    auto all = run_json("trim --json --max-size 0");
    EXPECT_EQ(all["entries_removed"], 1);
    EXPECT_EQ(all["bytes"], 0);
    auto text = run("trim --max-size 2G");
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.output.find("removed 0 entries"), std::string::npos) << text.output;
}

TEST_F(KernelctlCache, EvictOlderThanAndStale) {
    build();
    sql("UPDATE entries SET last_used = last_used - 10 * 86400 WHERE rowid = 1");
    auto old = run_json("evict --json --older-than 7d");
    EXPECT_EQ(old["entries_removed"], 1);
    EXPECT_EQ(run_json("ls --json").size(), 1u);
    EXPECT_EQ(run_json("evict --json --stale")["entries_removed"], 0);
    sql("UPDATE entries SET toolchain = 'clang 3.4'");
    EXPECT_EQ(run_json("evict --json --stale")["entries_removed"], 1);
    EXPECT_EQ(run_json("ls --json").size(), 0u);
}

} // namespace
} // namespace be
