// Export and import: moving warmed entries between machines through an export file (its format
// and checks: export_file.cpp).
//
// An export reads the user cache only (the read-only layers are someone else's to hand out) and
// verifies each row and blob as a load would, so a damaged entry is never passed on. An import
// writes every blob first (temp, fsync, rename: as a store) and then commits all the rows in one
// transaction: a failure before the commit (a full disk) leaves at most blobs without rows, which
// no reader sees and trimming removes once an hour old; after it, the whole import is visible.
#include "cache_impl.h"

#include <algorithm>

namespace be::cache_detail {

namespace fs = std::filesystem;

namespace {

// Whether the metadata (comma-separated target names) names a target "<prefix>.<name>".
bool names_target_under(const std::string& metadata, const std::string& prefix) {
    const std::string wanted = prefix + ".";
    size_t start = 0;
    while (start <= metadata.size()) {
        size_t end = metadata.find(',', start);
        if (end == std::string::npos) end = metadata.size();
        if (metadata.compare(start, wanted.size(), wanted) == 0 && end - start > wanted.size())
            return true;
        start = end + 1;
    }
    return false;
}

// A CPU entry compiled for this CPU's model ("<triple>;<cpu>;+feature,...") rather than for a
// portable level ("<triple>;<level>").
bool native_cpu_entry(const KeyFields& fields) {
    std::string backend, target;
    for (const auto& [name, value] : fields) {
        if (name == "backend") backend = value;
        if (name == "target") target = value;
    }
    if (backend != "cpu" && backend != "cuda-emu") return false;
    return std::count(target.begin(), target.end(), ';') != 1;
}

} // namespace

Result<ExportReport> CacheImpl::export_to(const fs::path& file, const ExportOptions& options) {
    const std::string op = "export to " + file.string() + ": ";
    if (!user_readable())
        return make_error(ErrorCode::io, op + "the cache has no usable index: " + warning_);
    auto rows = user_->index->rows();
    if (!rows) return make_error(rows.error().code(), op + rows.error().message);
    ExportReport report;
    std::vector<FullRow> chosen;
    for (auto& row : *rows) {
        if (!options.prefix.empty() && !names_target_under(row.metadata, options.prefix))
            ++report.skipped_prefix;
        else if (!options.all_cpu_targets && native_cpu_entry(row.fields))
            ++report.skipped_native;
        else
            chosen.push_back(std::move(row));
    }
    // By key: the same entries give the same file.
    std::sort(chosen.begin(), chosen.end(),
              [](const FullRow& a, const FullRow& b) { return a.key < b.key; });
    auto entry_at = [&](uint64_t i) -> Result<ExportedEntry> {
        const FullRow& row = chosen[i];
        const std::string which = "entry " + row.key + " (" + row.source_display + ")";
        const std::string repair = "; run `kernelctl verify --fix` and export again";
        auto manifest = manifest_from_text(row.headers);
        if (direct_key(row.fields) != row.direct_key || !manifest ||
            full_key(row.direct_key, *manifest) != row.key)
            return make_error(ErrorCode::io,
                              which + ": the key does not follow from the row's fields" + repair);
        BlobRead read = user_->blobs->get(row.key, row.checksum);
        if (read.status != BlobStatus::ok)
            return make_error(ErrorCode::io,
                              which + ": its blob " +
                                  (read.status == BlobStatus::missing    ? "is missing"
                                   : read.status == BlobStatus::io_error ? "cannot be read"
                                                                         : "is corrupt") +
                                  " (" + read.detail + ")" + repair);
        report.payload_bytes += read.payload.size();
        return ExportedEntry{
            row.key,      row.fields,   row.headers,         row.source_display,
            row.metadata, row.checksum, row.compile_seconds, std::move(read.payload)};
    };
    auto written = write_export_file(file, chosen.size(), entry_at, options.progress);
    if (!written) return written.error();
    report.entries = chosen.size();
    report.file_bytes = *written;
    return report;
}

Result<ImportReport> CacheImpl::import_entries(const std::vector<ExportedEntry>& entries,
                                               const ImportOptions& options) {
    const std::string op = "import: ";
    if (user_->dir.empty())
        return make_error(ErrorCode::unavailable,
                          op + "the cache is in memory (" +
                              (warning_.empty() ? std::string("BECORE_CACHE=off") : warning_) +
                              "): there is no cache directory to import into");
    if (!user_writable())
        return make_error(ErrorCode::io, op + "the cache directory " + user_->configured.string() +
                                             " cannot be written" +
                                             (warning_.empty() ? "" : " (" + warning_ + ")"));
    ImportReport report;
    report.entries = entries.size();
    std::vector<NewEntry> rows;
    const int64_t now = unix_now();
    uint64_t done = 0;
    for (const ExportedEntry& entry : entries) {
        if (options.usable_here && options.usable_here(entry.fields)) ++report.matching;
        auto existing = user_->index->find(entry.key);
        if (!existing)
            return make_error(existing.error().code(),
                              op + existing.error().message + "; nothing imported");
        if (existing->has_value() &&
            user_->blobs->get(entry.key, (*existing)->checksum).status == BlobStatus::ok) {
            ++report.already_present;
        } else {
            auto size = user_->blobs->put(entry.key, entry.payload, entry.checksum);
            if (!size)
                return make_error(size.error().code(),
                                  op + "entry " + entry.key + " (" + entry.source_display +
                                      "): " + size.error().message + "; nothing imported");
            NewEntry row;
            row.key = entry.key;
            row.fields = entry.fields;
            row.direct_key = direct_key(entry.fields);
            row.source_display = entry.source_display;
            row.headers = entry.headers;
            row.size_bytes = *size;
            row.checksum = entry.checksum;
            row.compile_seconds = entry.compile_seconds;
            row.now = now;
            row.metadata = entry.metadata;
            report.bytes += *size;
            rows.push_back(std::move(row));
        }
        if (options.progress) options.progress(++done, entries.size());
    }
    if (!rows.empty())
        if (auto ok = user_->index->insert_all(rows); !ok)
            return make_error(ok.error().code(), op + ok.error().message + "; nothing imported");
    report.imported = rows.size();
    maybe_trim();
    return report;
}

} // namespace be::cache_detail
