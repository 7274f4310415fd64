// `verify`: the index's own consistency (PRAGMA quick_check), every row against its key fields
// and its blob, and the files no row refers to. With `fix`, what was found is repaired the way
// a lookup would: a damaged entry is removed (and recompiled by its next load), leftovers older
// than k_orphan_grace are deleted, a corrupt index is moved aside. An unreadable blob (I/O
// error) is reported and never deleted: the error may pass, the entry may be good.
//
// Verify runs while other processes use the cache: a blob or temp file younger than the grace
// period may belong to a store between its rename and its commit, so it is not a finding, and a
// blob that seems missing is looked up again (trimming removes rows before blobs).
#include "cache_impl.h"

#include <set>
#include <unistd.h>

namespace be::cache_detail {

namespace {

// Calls `progress` at most every 100 items, and at the end.
struct Progress {
    const std::function<void(uint64_t, uint64_t)>& callback;
    uint64_t total = 0, done = 0;
    void step() {
        ++done;
        if (callback && (done % 100 == 0 || done == total)) callback(done, total);
    }
};

} // namespace

Result<VerifyReport> CacheImpl::verify(const VerifyOptions& options) {
    VerifyReport report;
    const std::string op = "KernelCache::verify";
    if (!user_->index) return make_error(ErrorCode::io, op + ": no index: " + warning_);
    if (options.fix && !user_writable())
        return make_error(ErrorCode::io, op + ": --fix needs a writable cache directory");
    auto finding = [&](std::string kind, std::string key, std::filesystem::path path,
                       std::string detail) -> VerifyFinding& {
        report.findings.push_back(
            {std::move(kind), std::move(key), std::move(path), std::move(detail), false});
        return report.findings.back();
    };

    auto check =
        user_broken_
            ? Result<std::string>(make_error(ErrorCode::io, "corrupt earlier in this process"))
            : user_->index->quick_check();
    if (!check || *check != "ok") {
        auto& found =
            finding("index_corrupt", "", user_->index_path, check ? *check : check.error().message);
        if (options.fix) {
            repair_user_index(found.detail);
            found.fixed = true;
        }
        return report; // nothing else can be trusted until the index is new
    }

    auto rows = user_->index->rows();
    if (!rows) return make_error(rows.error().code(), op + ": " + rows.error().message);
    std::vector<StoredFile> blob_files, temp_files;
    std::error_code ec;
    if (user_->disk != nullptr) {
        blob_files = user_->disk->blob_files(ec);
        temp_files = user_->disk->temp_files(ec);
    }
    Progress progress{options.progress, rows->size() + blob_files.size() + temp_files.size()};

    std::set<std::string> keys;
    struct Removal {
        std::string key;
        uint64_t checksum;
        bool remove_blob;
        size_t finding; // index into report.findings
    };
    std::vector<Removal> to_remove;
    auto fix_index = [&] { return report.findings.size() - 1; };
    for (const auto& row : *rows) {
        keys.insert(row.key);
        report.entries++;
        progress.step();
        auto manifest = manifest_from_text(row.headers);
        if (direct_key(row.fields) != row.direct_key || !manifest ||
            full_key(row.direct_key, *manifest) != row.key) {
            finding("bad_row", row.key, {},
                    "the key does not follow from the row's fields and headers");
            if (options.fix) to_remove.push_back({row.key, row.checksum, true, fix_index()});
            continue;
        }
        BlobRead read = user_->blobs->get(row.key, row.checksum);
        std::filesystem::path path =
            user_->disk != nullptr ? user_->disk->path_of(row.key) : std::filesystem::path();
        if (read.status == BlobStatus::ok) {
            report.blobs_ok++;
        } else if (read.status == BlobStatus::io_error) {
            finding("unreadable_blob", row.key, path, read.detail);
        } else if (read.status == BlobStatus::missing) {
            auto again = user_->index->find(row.key);
            if (again && !again->has_value()) continue; // evicted meanwhile
            finding("missing_blob", row.key, path, read.detail);
            if (options.fix) to_remove.push_back({row.key, row.checksum, false, fix_index()});
        } else {
            finding("corrupt_blob", row.key, path, read.detail);
            if (options.fix) to_remove.push_back({row.key, row.checksum, true, fix_index()});
        }
    }
    if (!to_remove.empty()) {
        // Rows first, then the blobs of the rows actually removed: a row another process
        // replaced meanwhile (a fresh store of the key) keeps its new blob.
        std::vector<std::pair<std::string, uint64_t>> rows_to_remove;
        for (const auto& r : to_remove)
            rows_to_remove.emplace_back(r.key, r.checksum);
        auto removed = user_->index->remove_rows(rows_to_remove);
        if (!removed)
            return make_error(removed.error().code(), op + ": " + removed.error().message);
        std::set<std::string> gone(removed->begin(), removed->end());
        std::lock_guard lock(stats_mutex_);
        for (const auto& r : to_remove) {
            // Gone either way: removed now, or by another process since the snapshot.
            report.findings[r.finding].fixed = true;
            if (gone.count(r.key) == 0) continue;
            if (r.remove_blob) user_->blobs->remove(r.key);
            pending_.uses.erase(r.key);
            ++pending_.corrupt_recovered;
        }
    }

    const int64_t cutoff = unix_now() - k_orphan_grace.count();
    for (const auto& file : blob_files) {
        progress.step();
        // A file whose name is a key with a row is that row's blob (checked above), provided it
        // sits in the right subdirectory.
        bool indexed = keys.count(file.name) != 0 && user_->disk->path_of(file.name) == file.path;
        if (indexed || file.mtime >= cutoff) continue;
        auto row = user_->index->find(file.name);
        if (row && row->has_value() && user_->disk->path_of(file.name) == file.path) continue;
        auto& found = finding("orphan_blob", "", file.path,
                              std::to_string(file.size) + " bytes, no index row");
        if (options.fix) found.fixed = ::unlink(file.path.c_str()) == 0;
    }
    for (const auto& file : temp_files) {
        progress.step();
        if (file.mtime >= cutoff) continue; // a store in progress
        auto& found = finding("stale_temp", "", file.path,
                              std::to_string(file.size) + " bytes, left by an interrupted store");
        if (options.fix) found.fixed = ::unlink(file.path.c_str()) == 0;
    }
    if (progress.callback && progress.total == 0) progress.callback(0, 0);
    return report;
}

} // namespace be::cache_detail
