// KernelCache: opening, the direct-mode lookup, the store sequence and statistics. Key
// derivation lives in key.cpp, blobs in blob_store.cpp, the SQLite index in index.cpp.
//
// Store sequence (each step's failure leaves the cache consistent):
//   1. hash the headers read → manifest → full key
//   2. blob → <v>/tmp/<key>.<pid>.<random>, fsync, rename to <v>/blobs/ab/<key>, fsync dir
//   3. entry + manifest rows in one BEGIN IMMEDIATE transaction: the commit point
// A crash before 3 leaves at most an orphan blob or temp file (never read: readers follow the
// index); a crash after 3 leaves a complete entry.
//
// In-memory mode uses the same code with an SQLite ":memory:" index and a map of blobs, so the
// key logic, manifests, checksums and statistics behave identically without a disk.
#include <becore/cache/kernel_cache.h>

#include "blob_store.h"
#include "index.h"
#include "key.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <pwd.h>
#include <unistd.h>

namespace be {

namespace fs = std::filesystem;

namespace cache_detail {

namespace {

int64_t unix_now() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// One write per line so warnings from concurrent threads or processes do not interleave.
void print_warning(const std::string& message) {
    std::string line = "becore: warning: " + message + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

std::string nonempty_env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

// Creates the cache directory (mode 0700; its parents with the default mode) and the versioned
// layout inside it. The trust checks of the configured directory (owner, permissions) belong
// between the creation of `dir` and anything created inside it.
Result<fs::path> prepare_layout(const fs::path& dir) {
    std::error_code ec;
    fs::path absolute = fs::absolute(dir, ec);
    if (ec) return make_error(dir.string() + ": " + ec.message());
    if (absolute.has_parent_path() && absolute.parent_path() != absolute) {
        fs::create_directories(absolute.parent_path(), ec);
        if (ec)
            return make_error("create " + absolute.parent_path().string() + ": " + ec.message());
    }
    if (auto ok = make_directory(absolute, 0700); !ok) return ok.error();
    fs::path versioned = absolute / ("v" + std::to_string(k_cache_format_version));
    for (const fs::path& sub : {versioned, versioned / "blobs", versioned / "tmp"})
        if (auto ok = make_directory(sub, 0700); !ok) return ok.error();
    return versioned;
}

} // namespace

class CacheImpl {
  public:
    CacheImpl(fs::path dir, std::unique_ptr<Index> index, std::unique_ptr<BlobStore> blobs,
              std::string warning)
        : dir_(std::move(dir)), warning_(std::move(warning)), index_(std::move(index)),
          blobs_(std::move(blobs)) {}

    // The fallback when the disk cannot be used; an in-memory SQLite cannot fail short of
    // memory exhaustion, and then every lookup misses and every store reports the error.
    static std::unique_ptr<CacheImpl> memory(std::string warning) {
        auto index = Index::open(":memory:");
        if (!index) warning += (warning.empty() ? "" : "; ") + index.error().message;
        return std::make_unique<CacheImpl>(fs::path(), index ? std::move(index.value()) : nullptr,
                                           std::make_unique<MemoryBlobStore>(), std::move(warning));
    }

    std::optional<CacheHit> lookup(const CacheKeyInputs& inputs);
    Result<std::string> store(const CacheKeyInputs& inputs,
                              const std::vector<fs::path>& headers_read,
                              const std::vector<char>& blob, double compile_seconds,
                              const std::string& metadata);
    std::vector<CacheEntryInfo> list();
    CacheStats stats();
    Result<uint64_t> clear(bool dry_run);
    void flush_stats();

    const fs::path& directory() const { return dir_; }
    const std::string& warning() const { return warning_; }

  private:
    std::optional<CacheHit> miss() {
        std::lock_guard lock(stats_mutex_);
        ++pending_.misses;
        return std::nullopt;
    }
    void drop_corrupt(const EntryRow& row, BlobStatus status, const std::string& detail);

    fs::path dir_;
    std::string warning_;
    std::unique_ptr<Index> index_;
    std::unique_ptr<BlobStore> blobs_;
    // Guards pending_; taken before the index's own mutex, never after.
    std::mutex stats_mutex_;
    PendingStats pending_;
};

std::optional<CacheHit> CacheImpl::lookup(const CacheKeyInputs& inputs) {
    if (!index_) return miss();
    std::string direct = direct_key(describe_key_fields(inputs));
    auto manifests = index_->manifests(direct);
    if (!manifests) {
        print_warning(manifests.error().message);
        return miss();
    }
    HeaderHashes hashes;
    for (const auto& row : *manifests) {
        auto manifest = manifest_from_text(row.headers);
        if (!manifest || !manifest_matches(*manifest, inputs.include_roots, hashes)) continue;
        // A row whose key does not follow from its own fields was not written by this code;
        // ignore it rather than trust it.
        if (full_key(direct, *manifest) != row.full_key) continue;
        auto entry = index_->find(row.full_key);
        if (!entry) {
            print_warning(entry.error().message);
            return miss();
        }
        if (!entry->has_value()) continue;
        const EntryRow& found = **entry;
        BlobRead read = blobs_->get(found.key, found.checksum);
        if (read.status == BlobStatus::ok) {
            std::lock_guard lock(stats_mutex_);
            ++pending_.hits;
            pending_.compile_seconds_saved += found.compile_seconds;
            auto& use = pending_.uses[found.key];
            ++use.hits;
            use.last_used = unix_now();
            return CacheHit{found.key, std::move(read.payload), found.metadata};
        }
        if (read.status == BlobStatus::io_error) {
            print_warning("cache entry " + found.key + " (" + inputs.source_display +
                          ") could not be read, compiling instead: " + read.detail);
            return miss();
        }
        drop_corrupt(found, read.status, read.detail);
        return miss();
    }
    return miss();
}

void CacheImpl::drop_corrupt(const EntryRow& row, BlobStatus status, const std::string& detail) {
    auto removed = index_->remove(row.key, row.checksum);
    // A missing blob has nothing to remove; a corrupt one would only be found again.
    if (status == BlobStatus::corrupt) blobs_->remove(row.key);
    {
        std::lock_guard lock(stats_mutex_);
        ++pending_.corrupt_recovered;
        pending_.uses.erase(row.key);
    }
    std::string what = status == BlobStatus::missing ? "is missing its blob" : "is corrupt";
    print_warning("cache entry " + row.key + " (" + row.source_display + ") " + what + " (" +
                  detail + "); removed, recompiling" +
                  (removed ? "" : "; removing its row failed: " + removed.error().message));
}

Result<std::string> CacheImpl::store(const CacheKeyInputs& inputs,
                                     const std::vector<fs::path>& headers_read,
                                     const std::vector<char>& blob, double compile_seconds,
                                     const std::string& metadata) {
    {
        std::lock_guard lock(stats_mutex_);
        ++pending_.compiles;
    }
    std::string what = "KernelCache::store(" + inputs.source_display + "): ";
    if (!index_) return make_error(what + "no index: " + warning_);
    NewEntry entry;
    entry.fields = describe_key_fields(inputs);
    entry.direct_key = direct_key(entry.fields);
    auto manifest = make_manifest(inputs.include_roots, headers_read);
    if (!manifest) return make_error(what + manifest.error().message);
    entry.key = full_key(entry.direct_key, *manifest);
    entry.headers = manifest_to_text(*manifest);
    entry.source_display = inputs.source_display;
    entry.checksum = hash64(blob.data(), blob.size());
    entry.compile_seconds = compile_seconds;
    entry.metadata = metadata;
    entry.now = unix_now();
    auto size = blobs_->put(entry.key, blob, entry.checksum);
    if (!size) return make_error(what + size.error().message);
    entry.size_bytes = *size;
    // If the commit fails, the blob stays as an orphan rather than being removed here: another
    // process may have committed a row for the same key, whose blob this one replaced.
    if (auto ok = index_->insert(entry); !ok) return make_error(what + ok.error().message);
    return entry.key;
}

std::vector<CacheEntryInfo> CacheImpl::list() {
    if (!index_) return {};
    std::lock_guard lock(stats_mutex_);
    auto entries = index_->list();
    if (!entries) {
        print_warning(entries.error().message);
        return {};
    }
    for (auto& entry : *entries) {
        auto use = pending_.uses.find(entry.key);
        if (use == pending_.uses.end()) continue;
        entry.hits += use->second.hits;
        entry.last_used = std::max(entry.last_used, use->second.last_used);
    }
    return std::move(entries.value());
}

CacheStats CacheImpl::stats() {
    std::lock_guard lock(stats_mutex_);
    CacheStats stats;
    if (index_) {
        auto stored = index_->stats();
        if (stored)
            stats = *stored;
        else
            print_warning(stored.error().message);
    }
    stats.hits += pending_.hits;
    stats.misses += pending_.misses;
    stats.compiles += pending_.compiles;
    stats.corrupt_recovered += pending_.corrupt_recovered;
    stats.compile_seconds_saved += pending_.compile_seconds_saved;
    return stats;
}

Result<uint64_t> CacheImpl::clear(bool dry_run) {
    if (!index_) return make_error("KernelCache::clear: no index: " + warning_);
    std::lock_guard lock(stats_mutex_);
    if (dry_run) return blobs_->remove_all(true);
    // Rows first: once they are gone no reader can reach a blob, so removing the files cannot
    // be observed as corruption (except by a reader already past the index; it then recompiles).
    if (auto ok = index_->remove_all(); !ok)
        return make_error("KernelCache::clear: " + ok.error().message);
    pending_.uses.clear();
    auto freed = blobs_->remove_all(false);
    if (!freed) return make_error("KernelCache::clear: " + freed.error().message);
    return freed;
}

void CacheImpl::flush_stats() {
    if (!index_) return;
    std::lock_guard lock(stats_mutex_);
    if (pending_.empty()) return;
    // Held across the write so stats() never sees the counters neither pending nor flushed;
    // on failure they stay pending and a later flush retries.
    if (auto ok = index_->flush(pending_); !ok) {
        print_warning("could not save cache statistics: " + ok.error().message);
        return;
    }
    pending_ = PendingStats{};
}

} // namespace cache_detail

using cache_detail::CacheImpl;

KernelCache::KernelCache(std::unique_ptr<CacheImpl> impl) : impl_(std::move(impl)) {}

KernelCache::~KernelCache() {
    flush_stats();
}

std::shared_ptr<KernelCache> KernelCache::open(const fs::path& dir) {
    auto memory_instead = [&](const std::string& why) {
        std::string warning = "cache directory " + (dir.empty() ? "(none)" : dir.string()) +
                              " is not used (" + why + "); caching in memory only";
        cache_detail::print_warning(warning);
        return std::shared_ptr<KernelCache>(new KernelCache(CacheImpl::memory(warning)));
    };
    if (dir.empty()) return memory_instead("no cache directory: set BECORE_CACHE_DIR or HOME");
    auto versioned = cache_detail::prepare_layout(dir);
    if (!versioned) return memory_instead(versioned.error().message);
    auto index = cache_detail::Index::open((*versioned / "index.sqlite3").string());
    if (!index) return memory_instead(index.error().message);
    auto blobs = std::make_unique<cache_detail::DiskBlobStore>(*versioned);
    return std::shared_ptr<KernelCache>(new KernelCache(std::make_unique<CacheImpl>(
        *versioned, std::move(index.value()), std::move(blobs), std::string())));
}

std::shared_ptr<KernelCache> KernelCache::in_memory() {
    return std::shared_ptr<KernelCache>(new KernelCache(CacheImpl::memory({})));
}

std::shared_ptr<KernelCache> KernelCache::open_default() {
    const std::string mode = cache_detail::nonempty_env("BECORE_CACHE");
    if (mode == "off" || mode == "0" || mode == "false") return in_memory();
    return open(default_directory());
}

fs::path KernelCache::default_directory() {
    if (auto dir = cache_detail::nonempty_env("BECORE_CACHE_DIR"); !dir.empty()) return dir;
    // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    if (auto xdg = cache_detail::nonempty_env("XDG_CACHE_HOME");
        !xdg.empty() && fs::path(xdg).is_absolute())
        return fs::path(xdg) / "becore";
    std::string home = cache_detail::nonempty_env("HOME");
    if (home.empty()) {
        if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_dir)
            home = entry->pw_dir;
    }
    if (home.empty()) return {};
    return fs::path(home) / ".cache" / "becore";
}

fs::path KernelCache::directory() const {
    return impl_->directory();
}
bool KernelCache::persistent() const {
    return !impl_->directory().empty();
}
const std::string& KernelCache::warning() const {
    return impl_->warning();
}

std::optional<CacheHit> KernelCache::lookup(const CacheKeyInputs& inputs) {
    return impl_->lookup(inputs);
}

Result<std::string> KernelCache::store(const CacheKeyInputs& inputs,
                                       const std::vector<fs::path>& headers_read,
                                       const std::vector<char>& blob, double compile_seconds,
                                       const std::string& metadata) {
    return impl_->store(inputs, headers_read, blob, compile_seconds, metadata);
}

std::vector<CacheEntryInfo> KernelCache::list() const {
    return impl_->list();
}
CacheStats KernelCache::stats() const {
    return impl_->stats();
}
Result<uint64_t> KernelCache::clear(bool dry_run) {
    return impl_->clear(dry_run);
}
void KernelCache::flush_stats() {
    impl_->flush_stats();
}

} // namespace be
