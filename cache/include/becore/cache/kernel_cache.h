// The kernel cache: compiled kernel binaries keyed by everything that can change them, stored as
// content-addressed blobs under an SQLite index (DESIGN.md, "The cache").
//
// Layout of a persistent cache (format version k_cache_format_version):
//   <dir>/v1/index.sqlite3        the index; schema documented in src/index.cpp
//   <dir>/v1/blobs/ab/<key hex>   one blob per entry; format documented in src/blob_store.cpp
//   <dir>/v1/tmp/                 temp files of stores in progress (<key>.<pid>.<random>)
//
// The cache never throws: a cache that cannot be opened works in memory, and a damaged entry is
// a miss (the caller recompiles). It depends on no compiler: a warm lookup hashes files only.
#pragma once

#include <becore/runtime/error.h>

#include <cstdint>
#include <filesystem>
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

class KernelCache {
  public:
    // Opens (creating with mode 0700 if needed) <dir>/v<format>/index.sqlite3 and
    // <dir>/v<format>/blobs/. Never throws: on any failure to open, the cache works in memory
    // only, and `warning()` says why (the warning is also printed once to stderr).
    static std::shared_ptr<KernelCache> open(const std::filesystem::path& dir);
    // No disk at all (BECORE_CACHE=off); entries live as long as the object.
    static std::shared_ptr<KernelCache> in_memory();
    // What the environment asks for: in_memory() if BECORE_CACHE is off (or 0/false), else
    // open(default_directory()).
    static std::shared_ptr<KernelCache> open_default();
    // BECORE_CACHE_DIR → $XDG_CACHE_HOME/becore → ~/.cache/becore (empty if no home is known).
    static std::filesystem::path default_directory();

    std::filesystem::path directory() const; // versioned dir, e.g. ~/.cache/becore/v1; empty
                                             // when in memory
    bool persistent() const;
    const std::string& warning() const; // empty when fine

    // Direct mode: hash the inputs (no compiler) → manifest(s) of header digests → re-hash those
    // headers only → full key → index row → blob, checksum verified. A corrupt, truncated or
    // missing blob: the row and blob are removed, one warning is printed, corrupt_recovered is
    // counted and nullopt returned so the caller recompiles. An I/O error reading a blob keeps
    // the entry (warning, nullopt). Every nullopt counts a miss.
    // BECORE_CACHE_SALT is read at every key computation, so it may change during a process.
    std::optional<CacheHit> lookup(const CacheKeyInputs& inputs);

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
    // Adds this process's counters and per-entry hits to the index. Called by the destructor;
    // calling it more often is harmless (each flush writes only what is new).
    void flush_stats();

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
