// The SQLite index: entries, direct-mode manifests and statistics. The schema is documented at
// the top of index.cpp. Every method is safe to call from several threads (one connection,
// serialized by a mutex); several processes share the file through WAL and a busy timeout.
#pragma once

#include "key.h"
#include "sqlite_db.h"

#include <becore/cache/kernel_cache.h>
#include <becore/runtime/error.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace be::cache_detail {

inline constexpr int k_index_schema_version = 1;
// last_used is rewritten only when it is at least this old, so a hot entry does not turn every
// process exit into a write of every row it touched just to move a timestamp by seconds.
inline constexpr int64_t k_last_used_resolution_s = 3600;

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
    // Opens or creates the index at `path` (":memory:" for a private in-memory one).
    static Result<std::unique_ptr<Index>> open(const std::string& path);

    // Manifests recorded for a direct key, newest first.
    Result<std::vector<ManifestRow>> manifests(const std::string& direct_key);
    Result<std::optional<EntryRow>> find(const std::string& key);
    // The entry and its manifest in one BEGIN IMMEDIATE transaction: the commit point of a store.
    Result<void> insert(const NewEntry& entry);
    // Removes the entry (and its manifests) if it still has `checksum`: a process that has
    // meanwhile stored a fresh blob under the key with different content keeps its row.
    Result<void> remove(const std::string& key, uint64_t checksum);
    Result<std::vector<CacheEntryInfo>> list();
    // Persisted counters plus the entry count and total bytes.
    Result<CacheStats> stats();
    Result<void> flush(const PendingStats& pending);
    // Removes every entry and manifest (keeps the counters).
    Result<void> remove_all();

  private:
    explicit Index(Database db) : db_(std::move(db)) {}
    Result<void> initialize();
    std::mutex mutex_;
    Database db_;
};

} // namespace be::cache_detail
