// Helpers of the cache tests that run becore processes: probes over a cache directory, a
// snapshot of a directory to prove it was not written, and direct SQL on an index.
#pragma once

#include "cache_test_util.h"
#include "process_util.h"
#include "test_support.h"

#include <becore/cache/kernel_cache.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <string>
#include <sys/stat.h>
#include <utime.h>
#include <vector>

namespace be::test {

struct ProbeRun {
    int exit_code = -1;
    std::string output;
    std::optional<nlohmann::json> result;
    int warnings() const { return count_lines_with(output, "becore: warning:"); }
};

inline std::string join_paths(const std::vector<std::filesystem::path>& files) {
    std::string text;
    for (const auto& f : files)
        text += " " + f.string();
    return text;
}

// Runs becore_probe on `files` with BECORE_CACHE_DIR=`cache` and the extra environment `env`
// ("NAME=value ..."), through the shell; `prefix` goes before the command (e.g. an unshare).
inline ProbeRun run_probe(const std::filesystem::path& cache,
                          const std::vector<std::filesystem::path>& files,
                          const std::string& env = "") {
    ProbeRun run;
    auto result = run_command("env BECORE_CACHE_DIR=" + cache.string() + " BECORE_LOG=warn " + env +
                              " " + probe_binary().string() + join_paths(files));
    run.exit_code = result.exit_code;
    run.output = result.output;
    run.result = probe_result(result.output);
    return run;
}

// Every file below `dir` with its size, mtime and content: equal snapshots mean nothing was
// written (or created, or removed).
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& dir) {
    std::map<std::string, std::string> files;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        struct stat info {};
        if (::lstat(it->path().c_str(), &info) != 0) continue;
        std::string description =
            std::to_string(info.st_mode) + " " + std::to_string(info.st_size) + " " +
            std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec);
        if (S_ISREG(info.st_mode)) description += " " + read_file(it->path());
        files[std::filesystem::relative(it->path(), dir).string()] = description;
    }
    return files;
}

// Runs SQL on an index file (the tests' way to age entries or damage rows).
inline void exec_sql(const std::filesystem::path& index, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(index.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
}

// One text value of a query on an index file.
inline std::string query_sql(const std::filesystem::path& index, const std::string& sql) {
    sqlite3* db = nullptr;
    std::string value;
    if (sqlite3_open_v2(index.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr)
            value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return value;
}

// Sets a file's mtime `seconds` into the past (leftovers older than an hour are findings).
inline void age_file(const std::filesystem::path& path, int64_t seconds) {
    struct utimbuf times {};
    times.actime = times.modtime = ::time(nullptr) - seconds;
    ::utime(path.c_str(), &times);
}

inline void age_files_below(const std::filesystem::path& dir, int64_t seconds) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file()) age_file(it->path(), seconds);
}

inline std::vector<std::string> finding_kinds(const VerifyReport& report) {
    std::vector<std::string> kinds;
    for (const auto& f : report.findings)
        kinds.push_back(f.kind);
    std::sort(kinds.begin(), kinds.end());
    return kinds;
}

// The verify report of the cache at `dir`, opened as a new process would.
inline VerifyReport verify_cache(const std::filesystem::path& dir, bool fix = false) {
    auto cache = KernelCache::open(dir);
    VerifyOptions options;
    options.fix = fix;
    auto report = cache->verify(options);
    EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
    return report.ok() ? report.value() : VerifyReport{};
}

// The fixture of tests on one cache directory of their own (BECORE_CACHE_SALT unset): its path,
// its index, a fresh KernelCache on it, and distinct entries' inputs.
class CacheDirTest : public ::testing::Test {
  protected:
    std::filesystem::path cache_dir() const { return dir_ / "cache"; }
    std::filesystem::path index() const { return cache_dir() / "v1" / "index.sqlite3"; }
    std::shared_ptr<KernelCache> open() { return KernelCache::open(cache_dir()); }
    // sample_inputs() made distinct by a comment naming i.
    static CacheKeyInputs variant_inputs(int i) {
        auto in = sample_inputs();
        in.source_text += "// variant " + std::to_string(i);
        return in;
    }

    ScopedEnv salt_{"BECORE_CACHE_SALT", std::nullopt};
    TempDir dir_;
};

} // namespace be::test
