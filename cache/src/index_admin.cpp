// The index queries of verify, eviction, `kernelctl show` and `explain` (schema: index.cpp).
#include "index.h"

#include <sqlite3.h>

#include <sstream>

namespace be::cache_detail {

const char* const k_full_row_columns =
    "key, direct_key, format, becore_version, kernel_headers_hash, backend, source_hash, flags, "
    "target, toolchain, salt, headers, source_display, metadata, checksum, size_bytes, hits, "
    "compile_seconds, created, last_used";

KeyFields fields_from_columns(int64_t format, std::string becore_version,
                              std::string kernel_headers_hash, std::string backend,
                              std::string source_hash, const std::string& flags, std::string target,
                              std::string toolchain, std::string salt) {
    // The order of describe_key_fields (key.cpp), so direct_key() of the result is the row's
    // direct key when the row is intact. A flag containing a newline cannot be told apart from
    // two flags; no compiler flag does.
    KeyFields fields;
    fields.emplace_back("format", std::to_string(format));
    fields.emplace_back("becore_version", std::move(becore_version));
    fields.emplace_back("kernel_headers_hash", std::move(kernel_headers_hash));
    fields.emplace_back("backend", std::move(backend));
    fields.emplace_back("source_hash", std::move(source_hash));
    if (!flags.empty()) {
        std::istringstream lines(flags);
        std::string flag;
        for (int i = 0; std::getline(lines, flag); ++i)
            fields.emplace_back("flag[" + std::to_string(i) + "]", flag);
        if (flags.back() == '\n')
            fields.emplace_back("flag[" + std::to_string(fields.size() - 5) + "]", "");
    }
    fields.emplace_back("target", std::move(target));
    fields.emplace_back("toolchain", std::move(toolchain));
    fields.emplace_back("salt", std::move(salt));
    return fields;
}

FullRow full_row_from(const Statement& q) {
    FullRow row;
    row.key = q.text(0);
    row.direct_key = q.text(1);
    row.fields = fields_from_columns(q.int64(2), q.text(3), q.text(4), q.text(5), q.text(6),
                                     q.text(7), q.text(8), q.text(9), q.text(10));
    row.headers = q.text(11);
    row.source_display = q.text(12);
    row.metadata = q.text(13);
    row.checksum = parse_hex64(q.text(14));
    row.size_bytes = static_cast<uint64_t>(q.int64(15));
    row.hits = static_cast<uint64_t>(q.int64(16));
    row.compile_seconds = q.real(17);
    row.created = q.int64(18);
    row.last_used = q.int64(19);
    return row;
}

Result<std::vector<FullRow>> Index::rows() {
    std::lock_guard lock(mutex_);
    auto query = db_.prepare(std::string("SELECT ") + k_full_row_columns +
                             " FROM entries ORDER BY last_used, created, rowid");
    if (!query) return failure("rows", query.error());
    std::vector<FullRow> rows;
    while (query->step())
        rows.push_back(full_row_from(*query));
    if (query->failed()) return failure("rows", query->error());
    return rows;
}

Result<std::optional<FullRow>> Index::find_full(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto query =
        db_.prepare(std::string("SELECT ") + k_full_row_columns + " FROM entries WHERE key = ?1");
    if (!query) return failure("find", query.error());
    query->bind(1, key);
    std::optional<FullRow> row;
    if (query->step()) row = full_row_from(*query);
    if (query->failed()) return failure("find", query->error());
    return row;
}

Result<std::vector<FullRow>> Index::with_prefix(const std::string& prefix, int limit) {
    std::lock_guard lock(mutex_);
    // Keys are lowercase hex and 'g' sorts after every hex digit, so [prefix, prefix + "g")
    // is exactly the keys starting with the prefix, and the primary key index serves it.
    auto query = db_.prepare(std::string("SELECT ") + k_full_row_columns +
                             " FROM entries WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT ?3");
    if (!query) return failure("show", query.error());
    query->bind(1, prefix).bind(2, prefix + "g").bind(3, static_cast<int64_t>(limit));
    std::vector<FullRow> rows;
    while (query->step())
        rows.push_back(full_row_from(*query));
    if (query->failed()) return failure("show", query->error());
    return rows;
}

Result<uint64_t> Index::total_bytes() {
    std::lock_guard lock(mutex_);
    auto query = db_.prepare("SELECT COALESCE(SUM(size_bytes), 0) FROM entries");
    if (!query) return failure("size", query.error());
    uint64_t bytes = query->step() ? static_cast<uint64_t>(query->int64(0)) : 0;
    if (query->failed()) return failure("size", query->error());
    return bytes;
}

Result<std::vector<std::string>>
Index::remove_rows(const std::vector<std::pair<std::string, uint64_t>>& rows) {
    std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_);
    if (!tx) return failure("remove", tx.error());
    auto erase = db_.prepare("DELETE FROM entries WHERE key = ?1 AND checksum = ?2");
    if (!erase) return failure("remove", erase.error());
    std::vector<std::string> removed;
    for (const auto& [key, checksum] : rows) {
        erase->reset();
        erase->bind(1, key).bind(2, hex64(checksum));
        if (auto ok = erase->run("remove"); !ok) return failure("remove", ok.error());
        if (sqlite3_changes(db_.handle()) > 0) removed.push_back(key);
    }
    if (auto ok = tx->commit(); !ok) return failure("remove: commit", ok.error());
    return removed;
}

Result<std::string> Index::quick_check() {
    std::lock_guard lock(mutex_);
    auto query = db_.prepare("PRAGMA quick_check");
    if (!query) return failure("quick_check", query.error());
    std::string result;
    while (query->step())
        result += (result.empty() ? "" : "; ") + query->text(0);
    if (query->failed()) return failure("quick_check", query->error());
    return result;
}

Result<void> Index::zero_stats() {
    std::lock_guard lock(mutex_);
    if (auto ok = db_.exec("DELETE FROM stats"); !ok) return failure("zero stats", ok.error());
    return {};
}

} // namespace be::cache_detail
