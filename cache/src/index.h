// The SQLite index: entries, direct-mode manifests and statistics. The schema is documented at
// the top of index.cpp. Every method is safe to call from several threads (one connection,
// serialized by a mutex); several processes share the file through WAL (or, on network file
// systems, a rollback journal) and a busy timeout. Lookups and stores are in index.cpp; the
// queries of verify, eviction, show and explain in index_admin.cpp.
#pragma once

#include "key.h"
#include "sqlite_db.h"

#include <becore/cache/kernel_cache.h>
#include <becore/runtime/error.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace be::cache_detail {

inline constexpr int k_index_schema_version = 1;
// last_used is rewritten only when it is at least this old, so a hot entry does not turn every
// process exit into a write of every row it touched just to move a timestamp by seconds.
inline constexpr int64_t k_last_used_resolution_s = 3600;

// What went wrong with a failed operation, as far as the caller must act on it: a full disk or a
// read-only file makes the cache stop writing; only `corrupt` (SQLITE_CORRUPT, SQLITE_NOTADB)
// justifies replacing the index, never an I/O error, which may be transient.
enum class Problem { none, no_space, read_only, corrupt, other };
Problem problem_from_sqlite(int extended_code);
Problem problem_from_errno(int error);
// 16 hex digits → value; 0 for anything else (a damaged row then fails the checksum check
// like a bad blob).
uint64_t parse_hex64(const std::string& text);

struct IndexOptions {
    OpenMode mode = OpenMode::read_write;
    bool wal = true; // false: rollback journal (network file systems)
};

// A row with everything stored about it (verify, eviction, show, explain).
struct FullRow {
    std::string key, direct_key;
    KeyFields fields; // as hashed; flags split back from their one-per-line column
    std::string headers, source_display, metadata;
    uint64_t checksum = 0, size_bytes = 0, hits = 0;
    double compile_seconds = 0;
    int64_t created = 0, last_used = 0;
};

struct ManifestRow {
    std::string full_key;
    std::string headers; // manifest text (key.h)
};

struct EntryRow {
    std::string key;
    uint64_t checksum = 0;
    uint64_t size_bytes = 0;
    double compile_seconds = 0;
    std::string source_display;
    std::string metadata;
};

struct NewEntry {
    std::string key, direct_key;
    KeyFields fields; // describe_key_fields, as hashed
    std::string source_display;
    std::string headers; // manifest text
    uint64_t size_bytes = 0;
    uint64_t checksum = 0;
    double compile_seconds = 0;
    int64_t now = 0;
    std::string metadata;
};

// Counters of this process not yet written to the index.
struct PendingStats {
    struct Use {
        uint64_t hits = 0;
        int64_t last_used = 0;
    };
    uint64_t hits = 0, misses = 0, compiles = 0, corrupt_recovered = 0;
    double compile_seconds_saved = 0;
    std::map<std::string, Use> uses; // per entry key

    bool empty() const {
        return hits == 0 && misses == 0 && compiles == 0 && corrupt_recovered == 0 && uses.empty();
    }
    void merge(const PendingStats& other);
};

class Index {
  public:
    // Opens or creates the index at `path` (":memory:" for a private in-memory one). A read-only
    // or immutable open creates nothing and only checks the schema version. On failure,
    // `problem` (if given) says what kind of failure it was.
    static Result<std::unique_ptr<Index>>
    open(const std::string& path, const IndexOptions& options = {}, Problem* problem = nullptr);
    // The kind of the most recent failure of any method (none if the last call succeeded).
    Problem last_problem() const { return last_problem_; }

    // Manifests recorded for a direct key, newest first.
    Result<std::vector<ManifestRow>> manifests(const std::string& direct_key);
    Result<std::optional<EntryRow>> find(const std::string& key);
    // The entry and its manifest in one BEGIN IMMEDIATE transaction: the commit point of a store.
    Result<void> insert(const NewEntry& entry) { return insert_all({&entry, 1}); }
    // Several entries in one transaction (an import: all or nothing).
    Result<void> insert_all(std::span<const NewEntry> entries);
    // Removes the entry (and its manifests) if it still has `checksum`: a process that has
    // meanwhile stored a fresh blob under the key with different content keeps its row. True
    // when a row was removed: only then may the caller remove the blob, which may otherwise be
    // that process's fresh one.
    Result<bool> remove(const std::string& key, uint64_t checksum);
    Result<std::vector<CacheEntryInfo>> list();
    // Persisted counters plus the entry count and total bytes.
    Result<CacheStats> stats();
    Result<void> flush(const PendingStats& pending);
    // Removes every entry and manifest (keeps the counters).
    Result<void> remove_all();

    // index_admin.cpp
    // Least recently used first: last_used, then created, then the order of insertion.
    Result<std::vector<FullRow>> rows();
    Result<std::optional<FullRow>> find_full(const std::string& key);
    // Rows whose key starts with `prefix` (lowercase hex), at most `limit`.
    Result<std::vector<FullRow>> with_prefix(const std::string& prefix, int limit);
    Result<uint64_t> total_bytes();
    // Removes the rows (each only if it still has the given checksum, as remove()) in one
    // transaction; returns the keys whose rows were removed.
    Result<std::vector<std::string>>
    remove_rows(const std::vector<std::pair<std::string, uint64_t>>& rows);
    // "ok", or what PRAGMA quick_check found.
    Result<std::string> quick_check();
    Result<void> zero_stats();

  private:
    explicit Index(Database db) : db_(std::move(db)) {}
    Result<void> initialize(const IndexOptions& options);
    // Builds the error of a failed operation and records its kind in last_problem_.
    Error failure(const std::string& what, const std::string& message);
    Error failure(const std::string& what, const Error& error) {
        return failure(what, error.message);
    }
    std::mutex mutex_;
    Database db_;
    std::atomic<Problem> last_problem_{Problem::none};
};

// Builds a FullRow from the columns of k_full_row_columns (index_admin.cpp), in that order.
extern const char* const k_full_row_columns;
FullRow full_row_from(const Statement& statement);
KeyFields fields_from_columns(int64_t format, std::string becore_version,
                              std::string kernel_headers_hash, std::string backend,
                              std::string source_hash, const std::string& flags, std::string target,
                              std::string toolchain, std::string salt);

} // namespace be::cache_detail
