// The kernel cache: compiled kernel binaries keyed by everything that can change them, stored as
// content-addressed blobs under an SQLite index (docs/cache.md).
//
// Layout of a persistent cache (format version k_cache_format_version):
//   <dir>/v1/index.sqlite3        the index; schema documented in src/index.cpp
//   <dir>/v1/blobs/ab/<key hex>   one blob per entry; format documented in src/blob_store.cpp
//   <dir>/v1/tmp/                 temp files of stores in progress (<key>.<pid>.<random>)
//   <dir>/v1/locks/               flock files: <direct key> (one compile per key), trim, index
//
// Layers: lookups try the user cache, then (for what this process stored while the user cache
// could not be written) an in-memory overlay, then the read-only layers in the order they were
// added. Only the user cache is ever written, statistics included.
//
// Degradation, each announced by one warning: an untrusted user directory (see
// untrusted_directory_reason) is never read or written, the cache works in memory; a trusted one
// that is read-only or full is read, and what this process compiles is kept in memory; on a
// network file system the index uses a rollback journal instead of WAL.
//
// The cache never throws: a cache that cannot be opened works in memory, and a damaged entry is
// a miss (the caller recompiles). It depends on no compiler: a warm lookup hashes files only.
#pragma once

#include <becore/cache/export_file.h>
#include <becore/runtime/error.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace be {

namespace cache_detail {
class CacheImpl;
}

// Bumped whenever the key derivation, blob format or index schema changes incompatibly; it names
// the versioned subdirectory, so old and new becore versions never read each other's entries.
inline constexpr int k_cache_format_version = 1;

struct CacheKeyInputs {
    std::string backend;             // "cpu" (later "cuda", "cuda-emu")
    std::string source_text;         // exact bytes compiled (user source + generated trampolines)
    std::string source_display;      // path for messages and `explain`; NOT hashed
    std::vector<std::string> flags;  // compiler flags in order
    std::string target;              // e.g. "x86_64-pc-linux-gnu;cpu=sapphirerapids;+avx512f"
    std::string toolchain;           // e.g. "clang 16.0.6;libstdc++ 20230528;tbb 2021.8"
    std::string kernel_headers_hash; // hash over becore's own kernel headers (caller computes)
    // roots[0] = directory of the source file. Header paths are stored relative to the first
    // root that contains them, so a project that moves as a whole keeps its entries.
    std::vector<std::filesystem::path> include_roots;
};

struct CacheEntryInfo { // one row of the index
    std::string key;    // hex of the full key (32 hex chars)
    std::string backend, source_display, target, toolchain;
    uint64_t size_bytes = 0; // bytes the entry's blob takes on disk (header included)
    double compile_seconds = 0;
    int64_t created = 0, last_used = 0; // unix seconds; last_used is written at most hourly
    uint64_t hits = 0;
    std::string metadata; // opaque text the caller stored (e.g. JSON list of target names)
};

struct CacheHit {
    std::string key;
    std::vector<char> blob;
    std::string metadata;
};

struct CacheStats {
    uint64_t entries = 0, bytes = 0, hits = 0, misses = 0, compiles = 0, corrupt_recovered = 0;
    double compile_seconds_saved = 0; // sum of compile_seconds over the entries that hit
};

// One entry in full, for `kernelctl show`.
struct CacheEntryDetail {
    CacheEntryInfo info;
    std::string direct_key;
    std::vector<std::pair<std::string, std::string>> fields; // key fields, flags folded
    std::string headers;             // manifest: "root\tpath\thash" per line (src/key.h)
    std::string checksum;            // XXH3-64 of the payload, 16 hex
    std::filesystem::path blob_path; // where the blob lives
    std::filesystem::path layer;     // versioned directory of the cache holding the entry
};

// What a lookup of these inputs would find, without counting or repairing anything.
struct CacheExplanation {
    struct Difference {
        std::string field; // a key field ("flags", "toolchain", ...) or "header <root>:<path>"
        std::string ours, theirs;
    };
    std::string direct_key;
    // describe_key_fields(inputs), the flags folded into one "flags" field (space-separated)
    std::vector<std::pair<std::string, std::string>> fields;
    bool hit = false;
    std::string key;             // the entry a lookup would use (hit)
    std::filesystem::path layer; // the cache holding it ("" = this process's memory)
    std::string blob_problem;    // set when the row matches but its blob would be rejected
    // On a miss: the entry closest to these inputs (fewest differing fields; same source file
    // first, then newest), and what differs. Empty nearest_key when the cache is empty.
    std::string nearest_key, nearest_source;
    std::vector<Difference> differences;
};

// `verify`: every row's blob is read and checksummed, files without a row are looked for.
struct VerifyFinding {
    // corrupt_blob, missing_blob, unreadable_blob (I/O error: never deleted), bad_row (a row
    // whose key does not follow from its fields), orphan_blob and stale_temp (older than an
    // hour: younger ones belong to stores in progress and are not findings), index_corrupt.
    std::string kind;
    std::string key;
    std::filesystem::path path;
    std::string detail;
    bool fixed = false;
};
struct VerifyReport {
    uint64_t entries = 0, blobs_ok = 0;
    std::vector<VerifyFinding> findings;
    bool clean() const; // nothing found, or everything found was fixed
};
struct VerifyOptions {
    bool fix = false;
    // Called now and then with (items done, items in all) for long runs; may be empty.
    std::function<void(uint64_t, uint64_t)> progress;
};

// What trim/evict removed.
struct EvictReport {
    uint64_t entries_removed = 0, bytes_freed = 0;
    uint64_t orphans_removed = 0, temp_files_removed = 0; // older than an hour (trim only)
    uint64_t entries_busy = 0; // skipped: another process held the entry's compile lock
    uint64_t bytes = 0;        // what the entries take afterwards
};

// What a backend's current build produces; entries of that backend whose toolchain or kernel
// headers differ can never hit again (`kernelctl evict --stale`).
struct StaleCriteria {
    std::string backend, toolchain, kernel_headers_hash;
};

struct CacheLayerInfo {
    std::filesystem::path directory; // the configured directory
    bool usable = false;
    std::string reason; // why not usable (untrusted, no index, unreadable)
    uint64_t entries = 0, bytes = 0;
};

// Defaults of the environment (docs/cache.md, "Size and eviction"): BECORE_CACHE_MAX_SIZE,
// 2 GiB when unset.
inline constexpr uint64_t k_default_cache_max_size = uint64_t{2} << 30;
// Orphan blobs and temp files younger than this belong to stores in progress.
inline constexpr std::chrono::seconds k_orphan_grace{3600};

// `export_to`: which entries of the user cache go into an export file.
struct ExportOptions {
    // Only entries whose metadata names a target "<prefix>.<name>" (the prefix the entry was
    // compiled under); empty: every prefix.
    std::string prefix;
    // CPU entries (backends cpu and cuda-emu) are exported only when compiled for a portable
    // level (key field target "<triple>;<level>"): one compiled for this CPU's model
    // ("<triple>;<cpu>;+feature,...") would hit only on the same model elsewhere. True: all.
    bool all_cpu_targets = false;
    // Called with (entries written, entries in all) after each entry; may be empty.
    std::function<void(uint64_t, uint64_t)> progress;
};
struct ExportReport {
    uint64_t entries = 0;        // written to the file
    uint64_t payload_bytes = 0;  // the binaries among them
    uint64_t file_bytes = 0;     // the file's size
    uint64_t skipped_native = 0; // CPU entries left out: compiled for this CPU's model
    uint64_t skipped_prefix = 0; // left out: another prefix
};

// `import_entries`: what an import does with the entries of an export file.
struct ImportOptions {
    // Whether an entry with these key fields can hit in this process (this machine's CPU target,
    // toolchains, becore version); counted in ImportReport::matching. May be empty.
    std::function<bool(const std::vector<std::pair<std::string, std::string>>&)> usable_here;
    // Called with (entries done, entries in all); may be empty.
    std::function<void(uint64_t, uint64_t)> progress;
};
struct ImportReport {
    uint64_t entries = 0;         // in the file
    uint64_t imported = 0;        // stored now
    uint64_t already_present = 0; // the cache had them (a valid entry under the key)
    uint64_t matching = 0;        // of the file's entries, those usable_here accepts
    uint64_t bytes = 0;           // what the imported entries take in the cache
};

struct CacheOpenOptions {
    // Mount table consulted to detect network file systems (tests substitute their own).
    std::filesystem::path mountinfo = "/proc/self/mountinfo";
};

class KernelCache {
  public:
    // Serializes compiles of one key across processes (flock on <v>/locks/<direct key>); the
    // lock is released by the destructor, release(), or the death of the process.
    class CompileLock {
      public:
        CompileLock() = default;
        ~CompileLock();
        CompileLock(CompileLock&& other) noexcept;
        CompileLock& operator=(CompileLock&& other) noexcept;
        CompileLock(const CompileLock&) = delete;
        CompileLock& operator=(const CompileLock&) = delete;
        // False when the caller proceeds unlocked: timeout, or a cache without a writable disk.
        bool held() const { return fd_ >= 0; }
        void release();

      private:
        friend class KernelCache;
        explicit CompileLock(int fd) : fd_(fd) {}
        int fd_ = -1;
    };

    // Opens (creating with mode 0700 if needed) <dir>/v<format>/index.sqlite3 and
    // <dir>/v<format>/blobs/. Never throws: on any failure to open, the cache works in memory
    // only, and `warning()` says why (the warning is also printed once to stderr).
    // The directory is trusted first (untrusted_directory_reason); see the top of this file for
    // read-only, full and network directories. A corrupt index is moved aside to
    // index.sqlite3.corrupt and a new one started (one warning).
    static std::shared_ptr<KernelCache> open(const std::filesystem::path& dir,
                                             const CacheOpenOptions& options = {});
    // No disk at all (BECORE_CACHE=off); entries live as long as the object.
    static std::shared_ptr<KernelCache> in_memory();
    // What the settings (becore/runtime/settings.h) or else the environment ask for: in_memory()
    // if Settings::disk_cache is false or BECORE_CACHE is off (or 0/false), else
    // open(default_directory()) with the read-only layers of BECORE_SYSTEM_CACHE (':'-separated)
    // and becore_data_dir()/cache (<prefix>/share/becore/cache, which `cmake --install` warms).
    // Every open() bounds the size by Settings::cache_max_size, else BECORE_CACHE_MAX_SIZE.
    static std::shared_ptr<KernelCache> open_default();
    // Settings::cache_dir → BECORE_CACHE_DIR → $XDG_CACHE_HOME/becore → ~/.cache/becore (empty if
    // no home is known).
    static std::filesystem::path default_directory();

    std::filesystem::path directory() const; // versioned dir, e.g. ~/.cache/becore/v1; empty
                                             // when in memory
    bool persistent() const;
    // False when stores go to memory only: in memory, or a read-only or full directory.
    bool writable() const;
    const std::string& warning() const; // the first warning of open(); empty when fine

    // Adds a read-only layer (a cache directory holding v<format>/index.sqlite3), consulted
    // after the user cache. It must be owned by root or the user and writable by nobody else,
    // else it is ignored with one warning; a directory without an index is ignored silently
    // (most configured layers are optional). Adding the same directory twice is a no-op; an
    // in_memory() cache (BECORE_CACHE=off) uses no disk, so no layers either. Returns whether
    // the layer is used.
    bool add_read_only_layer(const std::filesystem::path& dir);
    std::vector<CacheLayerInfo> layers() const;

    // Entries beyond this many bytes are evicted after a store, least recently used first.
    uint64_t max_size() const;
    void set_max_size(uint64_t bytes);

    // Direct mode: hash the inputs (no compiler) → manifest(s) of header digests → re-hash those
    // headers only → full key → index row → blob, checksum verified; the user cache first, then
    // the layers. A corrupt, truncated or missing blob, or one writable by others: in the user
    // cache the row and blob are removed, one warning is printed, corrupt_recovered is counted
    // and nullopt returned so the caller recompiles; in a layer the entry is skipped (one
    // warning). An I/O error reading a blob keeps the entry (warning, nullopt).
    // BECORE_CACHE_SALT is read at every key computation, so it may change during a process.
    // `count_miss` = false for a first try that the caller repeats under the compile lock, so that
    // one load counts one miss at most.
    std::optional<CacheHit> lookup(const CacheKeyInputs& inputs, bool count_miss = true);

    // Waits up to `timeout` for the key's compile lock. Used around lookup-miss → compile →
    // store, so that processes starting together compile each kernel once: the waiters look up
    // again once they hold it. On timeout one warning is printed and the lock is not held (the
    // caller compiles anyway).
    CompileLock lock_for_compile(const CacheKeyInputs& inputs, std::chrono::milliseconds timeout);

    // Stores after a compile. `headers_read` = absolute paths of the non-system headers the
    // compiler read (the caller excludes system headers and becore's own kernel headers); they
    // are hashed now. Returns the key hex. Counts a compile, whether or not the store succeeds.
    be::Result<std::string> store(const CacheKeyInputs& inputs,
                                  const std::vector<std::filesystem::path>& headers_read,
                                  const std::vector<char>& blob, double compile_seconds,
                                  const std::string& metadata);

    std::vector<CacheEntryInfo> list() const; // most recently created first
    CacheStats stats() const;                 // persisted counters + this process's unflushed ones
    // Removes every entry and blob; returns the bytes (that would be) freed.
    be::Result<uint64_t> clear(bool dry_run);
    // Zeroes the counters (hits, misses, compiles, corrupt_recovered, compile_seconds_saved);
    // entries and their own hit counts stay.
    be::Result<void> zero_stats();

    // The entry whose key starts with `key_prefix` (hex), in the user cache or a layer. An
    // error when none or several match.
    be::Result<CacheEntryDetail> show(const std::string& key_prefix) const;
    CacheExplanation explain(const CacheKeyInputs& inputs) const;
    // Checks every entry of the user cache (the layers are not this process's to fix).
    be::Result<VerifyReport> verify(const VerifyOptions& options = {});

    // Evicts least recently used entries until the entries take at most `max_bytes`, in bounded
    // batches (one short transaction each) under a cache-wide trim lock, and removes orphan
    // blobs and temp files older than k_orphan_grace.
    be::Result<EvictReport> trim(uint64_t max_bytes);
    // Entries not used for `age` (last_used is kept to the hour).
    be::Result<EvictReport> evict_older_than(std::chrono::seconds age);
    // Entries of another cache format or becore version, and entries of a listed backend whose
    // toolchain or kernel headers hash differ from the current ones.
    be::Result<EvictReport> evict_stale(const std::vector<StaleCriteria>& current);
    // Writes the selected entries of the user cache, with their blobs (each verified as a load
    // would), to an export file (format: src/export_file.cpp), atomically. A damaged blob is an
    // error naming the entry (`kernelctl verify --fix` repairs the cache).
    be::Result<ExportReport> export_to(const std::filesystem::path& file,
                                       const ExportOptions& options = {});
    // Stores entries read by read_export_file into the user cache: every blob as a store writes
    // it (temp file, fsync, rename), then all the rows in one transaction, the commit point, so
    // another process sees all of the import or none of it. An entry the cache already holds
    // (a valid one under the key) is kept. Entries for other CPUs, architectures or toolchains
    // are stored as they are; their keys never match here. Needs a writable disk cache.
    be::Result<ImportReport> import_entries(const std::vector<ExportedEntry>& entries,
                                            const ImportOptions& options = {});
    // Adds this process's counters and per-entry hits to the index. Called by the destructor;
    // calling it more often is harmless (each flush writes only what is new).
    void flush_stats();
    // Follower mode, for the processes of one job that share the cache with a leader (the MPI
    // ranks other than 0 of besim run, which all load the same kernels): the process still
    // looks up, waits on the compile locks and stores what it compiles, but never writes its
    // statistics (counters, per-entry hits, last_used) into the index, so that the ranks do not
    // all take the index's write lock at exit to count the same loads K times. stats() still
    // reports this process's counters.
    void set_follower(bool follower);
    bool follower() const;

    ~KernelCache();
    KernelCache(const KernelCache&) = delete;
    KernelCache& operator=(const KernelCache&) = delete;

  private:
    explicit KernelCache(std::unique_ptr<cache_detail::CacheImpl> impl);
    std::unique_ptr<cache_detail::CacheImpl> impl_;
};

// The key fields as (name, value) pairs, in hashing order, for `kernelctl explain`. The direct
// key is the hash of exactly these pairs (each name and value length-prefixed).
std::vector<std::pair<std::string, std::string>> describe_key_fields(const CacheKeyInputs& inputs);

} // namespace be
