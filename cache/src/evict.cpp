// Eviction: LRU trimming under the size bound, `evict --older-than`, `evict --stale`, and the
// sweep of leftovers (orphan blobs, temp files and lock files older than k_orphan_grace).
//
// Trimming holds the cache-wide lock <v>/locks/trim for its whole run (a store that finds the
// cache over its bound skips trimming when another process is at it), and removes entries in
// batches of k_evict_batch, each batch one short transaction, so a process storing or flushing
// statistics meanwhile waits for one batch at most. An entry whose compile lock another
// process holds (it is being stored again right now) is skipped: removing its blob could
// otherwise remove the fresh one. Rows go before blobs, so no reader ever follows a row to a
// missing blob except one racing the batch, which sees a plain miss (cache_impl.cpp).
#include "cache_impl.h"

#include <becore/runtime/log.h>

#include <algorithm>
#include <map>
#include <set>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

#ifndef BECORE_VERSION
#error "BECORE_VERSION must be defined by the build (cache/CMakeLists.txt)"
#endif

namespace be::cache_detail {

namespace fs = std::filesystem;

namespace {

constexpr size_t k_evict_batch = 64;
// An automatic trim (after a store found the cache over its bound) goes down to this fraction
// of the bound, so that the next stores do not each trim a few bytes again.
constexpr double k_trim_low_water = 0.9;

std::string field_of(const FullRow& row, const std::string& name) {
    for (const auto& [key, value] : row.fields)
        if (key == name) return value;
    return {};
}

bool is_key_name(const std::string& name) {
    return name.size() == 32 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

std::map<std::string, int64_t> CacheImpl::pending_last_used() {
    std::lock_guard lock(stats_mutex_);
    std::map<std::string, int64_t> uses;
    for (const auto& [key, use] : pending_.uses)
        uses[key] = use.last_used;
    return uses;
}

Result<EvictReport> CacheImpl::evict_rows(std::vector<FullRow> victims) {
    EvictReport report;
    for (size_t start = 0; start < victims.size(); start += k_evict_batch) {
        size_t end = std::min(victims.size(), start + k_evict_batch);
        std::vector<FileLock> held;
        std::vector<const FullRow*> batch;
        std::vector<std::pair<std::string, uint64_t>> rows;
        for (size_t i = start; i < end; ++i) {
            const FullRow& row = victims[i];
            if (!user_->dir.empty()) { // in memory, no other process can be storing it
                bool ok = false;
                std::string why;
                auto lock = FileLock::acquire(user_->dir / "locks" / row.direct_key,
                                              std::chrono::milliseconds(0), false, ok, why);
                if (!ok) {
                    ++report.entries_busy;
                    continue;
                }
                held.push_back(std::move(lock));
            }
            batch.push_back(&row);
            rows.emplace_back(row.key, row.checksum);
        }
        if (rows.empty()) continue;
        auto removed = user_->index->remove_rows(rows);
        if (!removed) {
            index_failed(*user_, true, removed.error());
            return removed.error();
        }
        // A row stored again meanwhile (another checksum) stays, and so does its blob.
        std::set<std::string> gone(removed->begin(), removed->end());
        std::lock_guard lock(stats_mutex_);
        for (const FullRow* row : batch) {
            if (gone.count(row->key) == 0) continue;
            user_->blobs->remove(row->key);
            pending_.uses.erase(row->key);
            ++report.entries_removed;
            report.bytes_freed += row->size_bytes;
        }
    }
    return report;
}

void CacheImpl::sweep_files(EvictReport& report) {
    if (user_->disk == nullptr) return;
    const int64_t cutoff = unix_now() - k_orphan_grace.count();
    auto rows = user_->index->rows();
    if (!rows) return;
    std::set<std::string> keys, direct_keys;
    for (const auto& row : *rows) {
        keys.insert(row.key);
        direct_keys.insert(row.direct_key);
    }
    std::error_code ec;
    for (const auto& file : user_->disk->blob_files(ec)) {
        if (file.mtime >= cutoff || keys.count(file.name) != 0) continue;
        // Committed since the snapshot above? Only a young blob can be, but ask to be sure.
        auto row = user_->index->find(file.name);
        if (!row || row->has_value()) continue;
        if (::unlink(file.path.c_str()) == 0) ++report.orphans_removed;
    }
    for (const auto& file : user_->disk->temp_files(ec))
        if (file.mtime < cutoff && ::unlink(file.path.c_str()) == 0) ++report.temp_files_removed;
    // Lock files of keys no longer cached; one held right now stays (remove_free_lock_file).
    for (auto it = fs::directory_iterator(user_->dir / "locks", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        struct stat info {};
        if (!is_key_name(name) || direct_keys.count(name) != 0) continue;
        if (::lstat(it->path().c_str(), &info) != 0 || info.st_mtime >= cutoff) continue;
        remove_free_lock_file(it->path());
    }
}

Result<EvictReport> CacheImpl::trim(uint64_t max_bytes, bool wait_for_lock) {
    if (!user_writable())
        return make_error(ErrorCode::io,
                          "KernelCache::trim: the cache directory cannot be written");
    FileLock trim_lock;
    if (!user_->dir.empty()) {
        bool ok = false;
        std::string why;
        trim_lock = FileLock::acquire(user_->dir / "locks" / "trim",
                                      wait_for_lock ? std::chrono::milliseconds(30'000)
                                                    : std::chrono::milliseconds(0),
                                      true, ok, why);
        if (!ok) {
            if (!wait_for_lock) return EvictReport{}; // another process is trimming
            return make_error(ErrorCode::io, "KernelCache::trim: " + why);
        }
    }
    auto rows = user_->index->rows();
    if (!rows) return make_error(rows.error().code(), "KernelCache::trim: " + rows.error().message);
    // This process's hits are not flushed yet (they are written once, at exit) but count as
    // use: an entry it is using is not the least recently used one.
    auto pending = pending_last_used();
    for (auto& row : *rows)
        if (auto use = pending.find(row.key); use != pending.end())
            row.last_used = std::max(row.last_used, use->second);
    std::stable_sort(rows->begin(), rows->end(), [](const FullRow& a, const FullRow& b) {
        return std::tie(a.last_used, a.created) < std::tie(b.last_used, b.created);
    });
    uint64_t total = 0;
    for (const auto& row : *rows)
        total += row.size_bytes;
    std::vector<FullRow> victims;
    for (auto& row : *rows) {
        if (total <= max_bytes) break;
        total -= row.size_bytes;
        victims.push_back(std::move(row));
    }
    auto report = evict_rows(std::move(victims));
    if (!report) return report;
    sweep_files(*report);
    auto bytes = user_->index->total_bytes();
    report->bytes = bytes ? *bytes : 0;
    return report;
}

void CacheImpl::maybe_trim() {
    auto bytes = user_->index->total_bytes();
    uint64_t bound = max_size_;
    if (!bytes || *bytes <= bound) return;
    auto trimmed =
        trim(static_cast<uint64_t>(static_cast<double>(bound) * k_trim_low_water), false);
    if (!trimmed) {
        warn_once("trim", "could not trim the cache: " + trimmed.error().message);
    } else if (trimmed->entries_removed > 0) {
        log_info("cache over its bound (" + std::to_string(bound) + " bytes): evicted " +
                 std::to_string(trimmed->entries_removed) + " entries, " +
                 std::to_string(trimmed->bytes_freed) + " bytes");
    }
}

Result<EvictReport> CacheImpl::evict_older_than(std::chrono::seconds age) {
    if (!user_writable())
        return make_error(ErrorCode::io,
                          "KernelCache::evict_older_than: the cache directory cannot be written");
    auto rows = user_->index->rows();
    if (!rows)
        return make_error(rows.error().code(),
                          "KernelCache::evict_older_than: " + rows.error().message);
    const int64_t cutoff = unix_now() - age.count();
    auto pending = pending_last_used();
    std::vector<FullRow> victims;
    for (auto& row : *rows) {
        int64_t last_used = row.last_used;
        if (auto use = pending.find(row.key); use != pending.end())
            last_used = std::max(last_used, use->second);
        if (last_used < cutoff) victims.push_back(std::move(row));
    }
    auto report = evict_rows(std::move(victims));
    if (!report) return report;
    auto bytes = user_->index->total_bytes();
    report->bytes = bytes ? *bytes : 0;
    return report;
}

Result<EvictReport> CacheImpl::evict_stale(const std::vector<StaleCriteria>& current) {
    if (!user_writable())
        return make_error(ErrorCode::io,
                          "KernelCache::evict_stale: the cache directory cannot be written");
    auto rows = user_->index->rows();
    if (!rows)
        return make_error(rows.error().code(), "KernelCache::evict_stale: " + rows.error().message);
    std::vector<FullRow> victims;
    for (auto& row : *rows) {
        bool stale = field_of(row, "format") != std::to_string(k_cache_format_version) ||
                     field_of(row, "becore_version") != BECORE_VERSION;
        for (const auto& criteria : current) {
            if (field_of(row, "backend") != criteria.backend) continue;
            stale = stale || field_of(row, "toolchain") != criteria.toolchain ||
                    field_of(row, "kernel_headers_hash") != criteria.kernel_headers_hash;
        }
        if (stale) victims.push_back(std::move(row));
    }
    auto report = evict_rows(std::move(victims));
    if (!report) return report;
    auto bytes = user_->index->total_bytes();
    report->bytes = bytes ? *bytes : 0;
    return report;
}

} // namespace be::cache_detail
