// The state behind KernelCache: the user cache, the in-memory overlay, the read-only layers,
// this process's pending statistics and the warnings already given. Implemented in
// cache_impl.cpp (lookup, store, statistics), open.cpp (opening and trust), verify.cpp,
// evict.cpp, explain.cpp and transfer.cpp (export and import).
#pragma once

#include "blob_store.h"
#include "index.h"
#include "key.h"
#include "lock.h"

#include <becore/cache/kernel_cache.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

namespace be::cache_detail {

int64_t unix_now();

// One place entries are found: the user's directory, memory, or a read-only layer.
struct Layer {
    std::filesystem::path configured; // as given (layers() reports it)
    std::filesystem::path dir;        // versioned directory; empty in memory
    std::unique_ptr<Index> index;     // null when unusable (or, for a layer, not opened yet)
    std::unique_ptr<BlobStore> blobs;
    DiskBlobStore* disk = nullptr; // blobs, when on disk
    bool read_only = false;
    // Read-only layers open their index on first use: a warm start that hits the user cache
    // never pays for them.
    std::once_flag open_once;
    // Why unusable. For a read-only layer, written before the layer is published (untrusted,
    // no index) or inside open_once (the index did not open): read it only after ensure_open.
    std::string reason;
    bool trusted = true; // set before publication, never changed: safe to read anywhere
    // The index file as it was when opened, so a repair never moves aside a file another
    // process has already replaced with a fresh one.
    std::filesystem::path index_path;
    uint64_t index_device = 0, index_inode = 0;
    bool wal = true; // false on a network file system (rollback journal)

    static std::unique_ptr<Layer> in_memory();
};

class CacheImpl {
  public:
    // `user` is the user cache (disk, read-only disk, or memory). `layers_allowed` is false for
    // BECORE_CACHE=off, which uses no disk at all.
    CacheImpl(std::unique_ptr<Layer> user, std::string warning, bool layers_allowed);

    std::optional<CacheHit> lookup(const CacheKeyInputs& inputs, bool count_miss);
    Result<std::string> store(const CacheKeyInputs& inputs,
                              const std::vector<std::filesystem::path>& headers_read,
                              const std::vector<char>& blob, double compile_seconds,
                              const std::string& metadata);
    int lock_for_compile(const CacheKeyInputs& inputs, std::chrono::milliseconds timeout);
    std::vector<CacheEntryInfo> list();
    CacheStats stats();
    Result<uint64_t> clear(bool dry_run);
    Result<void> zero_stats();
    void flush_stats();
    std::atomic<bool> follower{false}; // KernelCache::set_follower

    bool add_layer(const std::filesystem::path& dir);
    std::vector<CacheLayerInfo> layer_infos();

    Result<CacheEntryDetail> show(const std::string& key_prefix);     // explain.cpp
    CacheExplanation explain(const CacheKeyInputs& inputs);           // explain.cpp
    Result<VerifyReport> verify(const VerifyOptions& options);        // verify.cpp
    Result<EvictReport> trim(uint64_t max_bytes, bool wait_for_lock); // evict.cpp
    Result<EvictReport> evict_older_than(std::chrono::seconds age);   // evict.cpp
    Result<EvictReport> evict_stale(const std::vector<StaleCriteria>& current);
    Result<ExportReport> export_to(const std::filesystem::path& file,
                                   const ExportOptions& options); // transfer.cpp
    Result<ImportReport> import_entries(const std::vector<ExportedEntry>& entries,
                                        const ImportOptions& options); // transfer.cpp

    const std::filesystem::path& directory() const { return user_->dir; }
    const std::string& warning() const { return warning_; }
    bool writable() const { return user_writable(); }
    uint64_t max_size() const { return max_size_; }
    void set_max_size(uint64_t bytes) { max_size_ = bytes; }

    // Prints `message` as a warning unless one of this `topic` was printed already; returns
    // whether it was printed.
    bool warn_once(const std::string& topic, const std::string& message);
    // Counts a warning of `topic` as given (it was printed by whoever called this).
    void mark_warned(const std::string& topic);

  private:
    struct Found {
        std::optional<CacheHit> hit;
        double compile_seconds = 0;
    };
    Found lookup_in(Layer& layer, bool is_user, const CacheKeyInputs& inputs,
                    const std::string& direct, HeaderHashes& hashes);
    void drop_corrupt(Layer& layer, bool is_user, const EntryRow& row, BlobStatus status,
                      const std::string& detail);
    // A failed index operation: a corrupt user index is moved aside, a full or read-only disk
    // stops the writes; anything else is a warning (once per topic).
    void index_failed(Layer& layer, bool is_user, const Error& error);
    void repair_user_index(const std::string& why);
    void stop_writing(const std::string& why);
    Layer& overlay();
    bool user_readable() const { return user_->index && !user_broken_; }
    bool user_writable() const {
        return user_->index && !user_->read_only && !user_broken_ && user_can_write_;
    }
    Result<std::string> store_in(Layer& layer, const NewEntry& entry, const std::vector<char>& blob,
                                 Problem* problem);
    void maybe_trim();
    // Open the layer's index if not yet done; false when unusable.
    bool ensure_open(Layer& layer);
    std::vector<Layer*> read_layers(); // opened, usable read-only layers, in order

    // evict.cpp
    Result<EvictReport> evict_rows(std::vector<FullRow> victims);
    void sweep_files(EvictReport& report);
    std::map<std::string, int64_t> pending_last_used();

    std::unique_ptr<Layer> user_;
    std::string warning_;
    const bool layers_allowed_;
    std::atomic<bool> user_can_write_{true};
    std::atomic<bool> user_broken_{false}; // its index turned out corrupt during this process
    std::atomic<uint64_t> max_size_{k_default_cache_max_size};

    std::once_flag overlay_once_;
    std::unique_ptr<Layer> overlay_;
    std::atomic<bool> overlay_ready_{false};

    mutable std::shared_mutex layers_mutex_;
    std::vector<std::unique_ptr<Layer>> layers_;

    std::mutex warned_mutex_;
    std::set<std::string> warned_;

    // Guards pending_; taken before an index's own mutex, never after.
    std::mutex stats_mutex_;
    PendingStats pending_;
};

} // namespace be::cache_detail
