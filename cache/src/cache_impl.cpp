// Lookup, store, compile locks, statistics and layers. Key derivation lives in key.cpp, blobs in
// blob_store.cpp, the SQLite index in index.cpp, opening and trust in kernel_cache.cpp.
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
#include "cache_impl.h"

#include <becore/cache/filesystem.h>
#include <becore/runtime/log.h>

#include <chrono>
#include <sys/stat.h>
#include <unistd.h>

namespace be::cache_detail {

namespace fs = std::filesystem;

int64_t unix_now() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::unique_ptr<Layer> Layer::in_memory() {
    auto layer = std::make_unique<Layer>();
    // An in-memory SQLite cannot fail short of memory exhaustion; then every lookup misses and
    // every store reports the error.
    auto index = Index::open(":memory:");
    if (index)
        layer->index = std::move(index.value());
    else
        layer->reason = index.error().message;
    layer->blobs = std::make_unique<MemoryBlobStore>();
    return layer;
}

CacheImpl::CacheImpl(std::unique_ptr<Layer> user, std::string warning, bool layers_allowed)
    : user_(std::move(user)), warning_(std::move(warning)), layers_allowed_(layers_allowed) {}

bool CacheImpl::warn_once(const std::string& topic, const std::string& message) {
    {
        std::lock_guard lock(warned_mutex_);
        if (!warned_.insert(topic).second) return false;
    }
    log_warn(message);
    return true;
}

void CacheImpl::mark_warned(const std::string& topic) {
    std::lock_guard lock(warned_mutex_);
    warned_.insert(topic);
}

Layer& CacheImpl::overlay() {
    std::call_once(overlay_once_, [this] {
        overlay_ = Layer::in_memory();
        overlay_ready_ = true;
    });
    return *overlay_;
}

void CacheImpl::stop_writing(const std::string& why) {
    user_can_write_ = false;
    warn_once("not-writable", "cache directory " + user_->configured.string() + " " + why +
                                  ": reading it, not writing; what this process compiles stays "
                                  "in memory");
}

void CacheImpl::repair_user_index(const std::string& why) {
    if (user_broken_.exchange(true)) return;
    std::string outcome = "not using it for the rest of this process";
    if (!user_->read_only && user_can_write_) {
        // Under the index lock, and only if the file is still the one this process opened: a
        // second process finding the same damage must not move aside the fresh index the first
        // one started.
        bool ok = false;
        std::string lock_error;
        auto lock = FileLock::acquire(user_->dir / "locks" / "index", std::chrono::seconds(10),
                                      true, ok, lock_error);
        struct stat info {};
        const fs::path& path = user_->index_path;
        if (ok && ::stat(path.c_str(), &info) == 0 &&
            static_cast<uint64_t>(info.st_dev) == user_->index_device &&
            static_cast<uint64_t>(info.st_ino) == user_->index_inode) {
            fs::path aside = path.string() + ".corrupt";
            if (::rename(path.c_str(), aside.c_str()) == 0) {
                // A WAL or shared-memory file left beside a new index would be replayed into it.
                ::unlink((path.string() + "-wal").c_str());
                ::unlink((path.string() + "-shm").c_str());
                // The new index is created now, so the next process finds a valid (empty) one
                // rather than a missing one; this process keeps away from the disk (other
                // threads may still be using the old connection).
                IndexOptions options;
                options.wal = user_->wal;
                (void)Index::open(path.string(), options);
                outcome = "moved to " + aside.string() +
                          " and a new index started; this process caches in memory";
            }
        }
    }
    warn_once("index-corrupt", "cache index " + user_->index_path.string() + " is corrupt (" + why +
                                   "); " + outcome);
}

void CacheImpl::index_failed(Layer& layer, bool is_user, const Error& error) {
    Problem problem = layer.index ? layer.index->last_problem() : Problem::other;
    if (is_user) {
        if (problem == Problem::corrupt) return repair_user_index(error.message);
        if (problem == Problem::no_space) return stop_writing("is full (" + error.message + ")");
        if (problem == Problem::read_only)
            return stop_writing("is read-only (" + error.message + ")");
    }
    warn_once("index:" + layer.configured.string() + ":" + error.message, error.message);
}

bool CacheImpl::ensure_open(Layer& layer) {
    std::call_once(layer.open_once, [&] {
        if (layer.index || !layer.reason.empty()) return;
        // Immutable: a read-only layer is never written, not even the -shm file SQLite would
        // create beside a WAL index, and needs no locks.
        IndexOptions options;
        options.mode = OpenMode::immutable;
        auto index = Index::open((layer.dir / "index.sqlite3").string(), options);
        if (!index) {
            layer.reason = index.error().message;
            warn_once("layer:" + layer.configured.string(),
                      "cache layer " + layer.configured.string() +
                          " is not used: " + index.error().message);
            return;
        }
        layer.index = std::move(index.value());
    });
    return layer.index != nullptr;
}

std::vector<Layer*> CacheImpl::read_layers() {
    std::vector<Layer*> candidates;
    {
        std::shared_lock lock(layers_mutex_);
        for (auto& layer : layers_)
            if (layer->trusted) candidates.push_back(layer.get());
    }
    std::vector<Layer*> usable;
    for (Layer* layer : candidates)
        if (ensure_open(*layer)) usable.push_back(layer);
    return usable;
}

std::optional<CacheHit> CacheImpl::lookup(const CacheKeyInputs& inputs, bool count_miss) {
    std::string direct = direct_key(describe_key_fields(inputs));
    HeaderHashes hashes;
    auto try_layer = [&](Layer& layer, bool is_user) -> std::optional<CacheHit> {
        Found found = lookup_in(layer, is_user, inputs, direct, hashes);
        if (!found.hit) return std::nullopt;
        std::lock_guard lock(stats_mutex_);
        ++pending_.hits;
        pending_.compile_seconds_saved += found.compile_seconds;
        // Per-entry use is recorded for the user cache only: layers are never written.
        if (is_user) {
            auto& use = pending_.uses[found.hit->key];
            ++use.hits;
            use.last_used = unix_now();
        }
        return std::move(found.hit);
    };
    if (user_readable())
        if (auto hit = try_layer(*user_, true)) return hit;
    if (overlay_ready_)
        if (auto hit = try_layer(overlay(), false)) return hit;
    // The read-only layers are opened only now, on a miss of the user cache.
    for (Layer* layer : read_layers())
        if (auto hit = try_layer(*layer, false)) return hit;
    if (count_miss) {
        std::lock_guard lock(stats_mutex_);
        ++pending_.misses;
    }
    return std::nullopt;
}

CacheImpl::Found CacheImpl::lookup_in(Layer& layer, bool is_user, const CacheKeyInputs& inputs,
                                      const std::string& direct, HeaderHashes& hashes) {
    auto manifests = layer.index->manifests(direct);
    if (!manifests) {
        index_failed(layer, is_user, manifests.error());
        return {};
    }
    for (const auto& row : *manifests) {
        auto manifest = manifest_from_text(row.headers);
        if (!manifest || !manifest_matches(*manifest, inputs.include_roots, hashes)) continue;
        // A row whose key does not follow from its own fields was not written by this code;
        // ignore it rather than trust it.
        if (full_key(direct, *manifest) != row.full_key) continue;
        auto entry = layer.index->find(row.full_key);
        if (!entry) {
            index_failed(layer, is_user, entry.error());
            return {};
        }
        if (!entry->has_value()) continue;
        const EntryRow& found = **entry;
        BlobRead read = layer.blobs->get(found.key, found.checksum);
        if (read.status == BlobStatus::ok)
            return {CacheHit{found.key, std::move(read.payload), found.metadata},
                    found.compile_seconds};
        if (read.status == BlobStatus::io_error) {
            // Possibly transient (EIO, an NFS hiccup): the entry stays.
            warn_once("unreadable:" + found.key,
                      "cache entry " + found.key + " (" + inputs.source_display +
                          ") could not be read, compiling instead: " + read.detail);
            return {};
        }
        if (read.status == BlobStatus::missing) {
            // Trimming removes the row before the blob: a row that is gone now was evicted
            // while we looked, which is a plain miss, not damage.
            auto again = layer.index->find(found.key);
            if (again && !again->has_value()) return {};
        }
        drop_corrupt(layer, is_user, found, read.status, read.detail);
        return {};
    }
    return {};
}

void CacheImpl::drop_corrupt(Layer& layer, bool is_user, const EntryRow& row, BlobStatus status,
                             const std::string& detail) {
    std::string what = status == BlobStatus::missing ? "is missing its blob" : "is corrupt";
    if (!is_user || !user_writable()) {
        // Not ours to repair (a layer), or not writable now: skip it, say so once.
        warn_once("damaged:" + row.key, "cache entry " + row.key + " (" + row.source_display +
                                            ") in " +
                                            (layer.dir.empty() ? "memory" : layer.dir.string()) +
                                            " " + what + " (" + detail + "); not using it");
        return;
    }
    auto removed = layer.index->remove(row.key, row.checksum);
    // A missing blob has nothing to remove; a corrupt one would only be found again. If the row
    // was not ours to remove (another process dropped it first, and may have stored the key
    // afresh since), neither is the blob.
    if (status == BlobStatus::corrupt && removed && *removed) layer.blobs->remove(row.key);
    {
        std::lock_guard lock(stats_mutex_);
        ++pending_.corrupt_recovered;
        pending_.uses.erase(row.key);
    }
    warn_once("damaged:" + row.key,
              "cache entry " + row.key + " (" + row.source_display + ") " + what + " (" + detail +
                  "); removed, recompiling" +
                  (removed ? "" : "; removing its row failed: " + removed.error().message));
}

Result<std::string> CacheImpl::store_in(Layer& layer, const NewEntry& entry,
                                        const std::vector<char>& blob, Problem* problem) {
    // Another process may have stored this key while we compiled (its lock timed out, or it
    // does not use the lock): a valid entry is kept rather than overwritten, so a reader never
    // sees our blob under its row's checksum (compiles are deterministic, but need not be).
    auto existing = layer.index->find(entry.key);
    if (existing && existing->has_value() &&
        layer.blobs->get(entry.key, (*existing)->checksum).status == BlobStatus::ok)
        return entry.key;
    auto size = layer.blobs->put(entry.key, blob, entry.checksum, problem);
    if (!size) return size.error();
    NewEntry sized = entry;
    sized.size_bytes = *size;
    // If the commit fails, the blob stays as an orphan rather than being removed here: another
    // process may have committed a row for the same key, whose blob this one replaced.
    if (auto ok = layer.index->insert(sized); !ok) {
        if (problem != nullptr) *problem = layer.index->last_problem();
        return ok.error();
    }
    return entry.key;
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
    if (!user_->index) return make_error(ErrorCode::io, what + "no index: " + warning_);
    NewEntry entry;
    entry.fields = describe_key_fields(inputs);
    entry.direct_key = direct_key(entry.fields);
    auto manifest = make_manifest(inputs.include_roots, headers_read);
    if (!manifest) return make_error(manifest.error().code(), what + manifest.error().message);
    entry.key = full_key(entry.direct_key, *manifest);
    entry.headers = manifest_to_text(*manifest);
    entry.source_display = inputs.source_display;
    entry.checksum = hash64(blob.data(), blob.size());
    entry.compile_seconds = compile_seconds;
    entry.metadata = metadata;
    entry.now = unix_now();
    if (user_writable()) {
        Problem problem = Problem::none;
        auto stored = store_in(*user_, entry, blob, &problem);
        if (stored) {
            maybe_trim();
            return stored;
        }
        // A full or read-only disk, or a corrupt index, is no reason to lose the compile: this
        // process keeps it in memory. Anything else is reported to the caller.
        if (problem == Problem::no_space)
            stop_writing("is full (" + stored.error().message + ")");
        else if (problem == Problem::read_only)
            stop_writing("is read-only (" + stored.error().message + ")");
        else if (problem == Problem::corrupt)
            repair_user_index(stored.error().message);
        else
            return make_error(stored.error().code(), what + stored.error().message);
    }
    Layer& memory = user_->dir.empty() ? *user_ : overlay();
    auto stored = store_in(memory, entry, blob, nullptr);
    if (!stored) return make_error(stored.error().code(), what + stored.error().message);
    return stored;
}

int CacheImpl::lock_for_compile(const CacheKeyInputs& inputs, std::chrono::milliseconds timeout) {
    // Without a writable directory nothing is stored, so there is nothing to wait for.
    if (user_->dir.empty() || !user_writable()) return -1;
    fs::path path = user_->dir / "locks" / direct_key(describe_key_fields(inputs));
    bool ok = false;
    std::string why;
    int error = 0;
    auto lock = FileLock::acquire(path, timeout, true, ok, why, &error);
    if (ok) return lock.release_fd();
    Problem problem = problem_from_errno(error);
    if (problem == Problem::no_space || problem == Problem::read_only)
        stop_writing("cannot be written (" + why + ")");
    else
        log_warn("compile lock for " + inputs.source_display + ": " + why +
                 "; compiling without it");
    return -1;
}

std::vector<CacheEntryInfo> CacheImpl::list() {
    if (!user_readable()) return {};
    std::lock_guard lock(stats_mutex_);
    auto entries = user_->index->list();
    if (!entries) {
        index_failed(*user_, true, entries.error());
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
    if (user_readable()) {
        auto stored = user_->index->stats();
        if (stored)
            stats = *stored;
        else
            index_failed(*user_, true, stored.error());
    }
    stats.hits += pending_.hits;
    stats.misses += pending_.misses;
    stats.compiles += pending_.compiles;
    stats.corrupt_recovered += pending_.corrupt_recovered;
    stats.compile_seconds_saved += pending_.compile_seconds_saved;
    return stats;
}

Result<uint64_t> CacheImpl::clear(bool dry_run) {
    if (!user_->index)
        return make_error(ErrorCode::io, "KernelCache::clear: no index: " + warning_);
    if (!dry_run && !user_writable())
        return make_error(ErrorCode::io,
                          "KernelCache::clear: the cache directory cannot be written");
    std::lock_guard lock(stats_mutex_);
    if (dry_run) return user_->blobs->remove_all(true);
    // Rows first: once they are gone no reader can reach a blob, so removing the files cannot
    // be observed as corruption (except by a reader already past the index; it then recompiles).
    if (auto ok = user_->index->remove_all(); !ok)
        return make_error(ok.error().code(), "KernelCache::clear: " + ok.error().message);
    pending_.uses.clear();
    auto freed = user_->blobs->remove_all(false);
    if (!freed)
        return make_error(freed.error().code(), "KernelCache::clear: " + freed.error().message);
    return freed;
}

Result<void> CacheImpl::zero_stats() {
    if (!user_writable())
        return make_error(ErrorCode::io,
                          "KernelCache::zero_stats: the cache directory cannot be written");
    std::lock_guard lock(stats_mutex_);
    if (auto ok = user_->index->zero_stats(); !ok)
        return make_error(ok.error().code(), "KernelCache::zero_stats: " + ok.error().message);
    auto uses = std::move(pending_.uses);
    pending_ = PendingStats{};
    pending_.uses = std::move(uses); // per-entry use still decides eviction order
    return {};
}

void CacheImpl::flush_stats() {
    // A read-only or full directory keeps its counters as they are; so do layers, always; and a
    // follower leaves them to its leader.
    if (!user_writable() || follower) return;
    std::lock_guard lock(stats_mutex_);
    if (pending_.empty()) return;
    // Held across the write so stats() never sees the counters neither pending nor flushed;
    // on failure they stay pending and a later flush retries.
    if (auto ok = user_->index->flush(pending_); !ok) {
        warn_once("flush", "could not save cache statistics: " + ok.error().message);
        return;
    }
    pending_ = PendingStats{};
}

bool CacheImpl::add_layer(const fs::path& dir) {
    if (!layers_allowed_ || dir.empty()) return false;
    std::error_code ec;
    fs::path absolute = fs::weakly_canonical(fs::absolute(dir, ec), ec);
    if (ec) absolute = dir;
    // The user cache itself is not also a layer.
    if (!user_->dir.empty() && absolute / ("v" + std::to_string(k_cache_format_version)) ==
                                   fs::weakly_canonical(user_->dir, ec))
        return false;
    {
        std::shared_lock lock(layers_mutex_);
        for (const auto& layer : layers_)
            if (layer->configured == absolute) return layer->trusted;
    }
    // Most configured layers are optional (<prefix>/share/becore/cache, becore-cache/ beside a
    // kernel directory): one that does not exist is not worth a warning, nor a place in layers().
    if (!fs::exists(absolute, ec)) return false;
    auto layer = std::make_unique<Layer>();
    layer->configured = absolute;
    layer->read_only = true;
    layer->dir = absolute / ("v" + std::to_string(k_cache_format_version));
    if (!fs::exists(layer->dir / "index.sqlite3", ec)) {
        layer->reason = "no index";
    } else if (auto why = untrusted_directory_reason(absolute, true)) {
        layer->reason = *why;
    } else if (auto why_v = untrusted_directory_reason(layer->dir, true)) {
        layer->reason = layer->dir.string() + ": " + *why_v;
    } else {
        for (const char* name : {"index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm"})
            if (auto why_f = untrusted_file_reason(layer->dir / name, true);
                why_f && layer->reason.empty())
                layer->reason = (layer->dir / name).string() + ": " + *why_f;
    }
    if (!layer->reason.empty() && layer->reason != "no index")
        warn_once("layer:" + absolute.string(),
                  "cache layer " + absolute.string() + " is not used (" + layer->reason + ")");
    if (layer->reason.empty()) {
        auto blobs = std::make_unique<DiskBlobStore>(layer->dir);
        layer->disk = blobs.get();
        layer->blobs = std::move(blobs);
    }
    layer->trusted = layer->reason.empty();
    bool usable = layer->trusted;
    std::unique_lock lock(layers_mutex_);
    for (const auto& other : layers_) // added by another thread meanwhile
        if (other->configured == absolute) return other->trusted;
    layers_.push_back(std::move(layer));
    return usable;
}

std::vector<CacheLayerInfo> CacheImpl::layer_infos() {
    std::vector<Layer*> all;
    {
        std::shared_lock lock(layers_mutex_);
        for (auto& layer : layers_)
            all.push_back(layer.get());
    }
    std::vector<CacheLayerInfo> infos;
    for (Layer* layer : all) {
        CacheLayerInfo info;
        info.directory = layer->configured;
        info.usable = ensure_open(*layer); // reason is stable once this returns
        info.reason = layer->reason;
        if (info.usable) {
            if (auto stats = layer->index->stats()) {
                info.entries = stats->entries;
                info.bytes = stats->bytes;
            }
        }
        infos.push_back(std::move(info));
    }
    return infos;
}

} // namespace be::cache_detail
