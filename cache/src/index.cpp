// Index schema (PRAGMA user_version = 1; <versioned dir>/index.sqlite3):
//
//   entries(                          one row per cached blob; the row is the commit point
//     key TEXT PRIMARY KEY,           full key, 32 hex (= blob file name)
//     direct_key TEXT,                hash of the key fields below, before headers
//     format INTEGER,                 -+
//     becore_version TEXT,             |
//     kernel_headers_hash TEXT,        | the key fields as hashed (describe_key_fields), kept
//     backend TEXT,                    | so `kernelctl explain` can say which one differs
//     source_hash TEXT,                |
//     flags TEXT,                      | one flag per line, in order
//     target TEXT, toolchain TEXT,     |
//     salt TEXT,                      -+
//     headers TEXT,                   manifest text (key.h): root \t path \t hash per line
//     source_display TEXT,            for messages only, not hashed
//     size_bytes INTEGER,             blob file size, header included
//     checksum TEXT,                  XXH3-64 of the payload, 16 hex
//     compile_seconds REAL, created INTEGER, last_used INTEGER,   unix seconds
//     hits INTEGER, metadata TEXT)    metadata: opaque text of the caller
//   manifests(                        direct mode: which headers led to which full key
//     direct_key TEXT, full_key TEXT REFERENCES entries(key) ON DELETE CASCADE,
//     headers TEXT, created INTEGER, PRIMARY KEY(direct_key, full_key))
//   stats(name TEXT PRIMARY KEY, value)   hits, misses, compiles, corrupt_recovered (integers),
//                                         compile_seconds_saved (real); added to, never set
//
// Connection settings: WAL (readers never block the writer, so processes share the file;
// on network file systems, whose shared memory WAL relies on does not work across clients, a
// rollback journal, journal_mode=DELETE, and synchronous=FULL), synchronous=NORMAL (a power cut
// may lose the last commits, never consistency; the blob is fsync'ed before its row anyway),
// busy_timeout 10 s, foreign_keys on (manifests follow their entry out). Read-only opens
// (read-only layers and directories) change nothing and only check user_version.
#include "index.h"

#include "lock.h"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <iterator>
#include <thread>

namespace be::cache_detail {

namespace {

constexpr int k_busy_timeout_ms = 10'000;

const char* const k_schema = R"sql(
CREATE TABLE IF NOT EXISTS entries(
    key TEXT PRIMARY KEY NOT NULL,
    direct_key TEXT NOT NULL,
    format INTEGER NOT NULL,
    becore_version TEXT NOT NULL,
    kernel_headers_hash TEXT NOT NULL,
    backend TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    flags TEXT NOT NULL,
    target TEXT NOT NULL,
    toolchain TEXT NOT NULL,
    salt TEXT NOT NULL,
    headers TEXT NOT NULL,
    source_display TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    compile_seconds REAL NOT NULL,
    created INTEGER NOT NULL,
    last_used INTEGER NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS manifests(
    direct_key TEXT NOT NULL,
    full_key TEXT NOT NULL REFERENCES entries(key) ON DELETE CASCADE,
    headers TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY(direct_key, full_key)
);
CREATE INDEX IF NOT EXISTS manifests_by_full_key ON manifests(full_key);
CREATE TABLE IF NOT EXISTS stats(name TEXT PRIMARY KEY NOT NULL, value NOT NULL);
)sql";

const char* const k_counter_names[] = {"hits", "misses", "compiles", "corrupt_recovered"};

std::string field(const KeyFields& fields, const std::string& name) {
    for (const auto& [key, value] : fields)
        if (key == name) return value;
    return {};
}

std::string joined_flags(const KeyFields& fields) {
    std::string flags;
    for (const auto& [key, value] : fields) {
        if (key.rfind("flag[", 0) != 0) continue;
        if (!flags.empty()) flags += '\n';
        flags += value;
    }
    return flags;
}

} // namespace

uint64_t parse_hex64(const std::string& text) {
    uint64_t value = 0;
    for (char c : text) {
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0) return 0; // a damaged row then fails the checksum check like a bad blob
        value = (value << 4) | static_cast<uint64_t>(digit);
    }
    return value;
}

Problem problem_from_sqlite(int code) {
    switch (code & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return Problem::none;
    case SQLITE_FULL:
        return Problem::no_space;
    case SQLITE_READONLY:
        return Problem::read_only;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return Problem::corrupt;
    default:
        return Problem::other;
    }
}

Problem problem_from_errno(int error) {
    switch (error) {
    case 0:
        return Problem::none;
    case ENOSPC:
    case EDQUOT:
        return Problem::no_space;
    case EROFS:
    case EACCES:
    case EPERM:
        return Problem::read_only;
    default:
        return Problem::other;
    }
}

Error Index::failure(const std::string& what, const std::string& message) {
    last_problem_ = problem_from_sqlite(db_.error_code());
    if (last_problem_ == Problem::none) last_problem_ = Problem::other;
    return make_error(ErrorCode::io, "cache index: " + what + ": " + message);
}

void PendingStats::merge(const PendingStats& other) {
    hits += other.hits;
    misses += other.misses;
    compiles += other.compiles;
    corrupt_recovered += other.corrupt_recovered;
    compile_seconds_saved += other.compile_seconds_saved;
    for (const auto& [key, use] : other.uses) {
        auto& mine = uses[key];
        mine.hits += use.hits;
        mine.last_used = std::max(mine.last_used, use.last_used);
    }
}

Result<std::unique_ptr<Index>> Index::open(const std::string& path, const IndexOptions& options,
                                           Problem* problem) {
    auto db = Database::open(path, options.mode);
    if (!db) {
        if (problem != nullptr) *problem = Problem::other;
        return db.error();
    }
    std::unique_ptr<Index> index(new Index(std::move(db.value())));
    if (auto ok = index->initialize(options); !ok) {
        if (problem != nullptr) *problem = index->last_problem();
        return ok.error();
    }
    return index;
}

Result<void> Index::initialize(const IndexOptions& options) {
    // The busy timeout comes first: switching to WAL and creating the schema both need locks
    // another process may hold.
    sqlite3_busy_timeout(db_.handle(), k_busy_timeout_ms);
    const bool writable = options.mode == OpenMode::read_write;
    if (writable) {
        const char* journal = options.wal ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"
                                          : "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL";
        // Switching a new database to WAL while other processes open it can answer
        // SQLITE_BUSY at once, without calling the busy handler (seen with 6 processes creating
        // one cache), so the switch is retried for as long as the busy timeout.
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(k_busy_timeout_ms);
        auto ok = db_.exec(journal);
        for (int step_ms = 1; !ok && (db_.error_code() & 0xff) == SQLITE_BUSY &&
                              std::chrono::steady_clock::now() < deadline;
             step_ms = std::min(2 * step_ms, 50)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
            ok = db_.exec(journal);
        }
        if (!ok) return failure("journal mode", ok.error());
    }
    if (auto ok = db_.exec("PRAGMA foreign_keys=ON"); !ok) return failure("pragmas", ok.error());
    std::optional<Transaction> tx;
    if (writable) {
        auto begun = Transaction::begin(db_);
        if (!begun) return failure("schema", begun.error());
        tx.emplace(std::move(begun.value()));
    }
    auto version = db_.prepare("PRAGMA user_version");
    if (!version) return failure("schema", version.error());
    int64_t found = version->step() ? version->int64(0) : -1;
    if (version->failed()) return failure("schema", version->error());
    if (found > k_index_schema_version) {
        last_problem_ = Problem::other; // another becore's index: never "repaired"
        return make_error(ErrorCode::unavailable, "cache index: schema version " +
                                                      std::to_string(found) +
                                                      " is newer than this becore understands (" +
                                                      std::to_string(k_index_schema_version) + ")");
    }
    if (found < k_index_schema_version) {
        if (!writable) {
            last_problem_ = Problem::other;
            return make_error(ErrorCode::io, "cache index: no schema (an empty index)");
        }
        if (auto ok = db_.exec(k_schema); !ok) return failure("schema", ok.error());
        auto set = db_.exec("PRAGMA user_version=" + std::to_string(k_index_schema_version));
        if (!set) return failure("schema", set.error());
    }
    if (tx)
        if (auto ok = tx->commit(); !ok) return failure("schema", ok.error());
    last_problem_ = Problem::none;
    return {};
}

Result<std::vector<ManifestRow>> Index::manifests(const std::string& direct_key) {
    std::lock_guard lock(mutex_);
    auto query = db_.prepare("SELECT full_key, headers FROM manifests WHERE direct_key = ?1 "
                             "ORDER BY created DESC, full_key");
    if (!query) return failure("manifests", query.error());
    query->bind(1, direct_key);
    std::vector<ManifestRow> rows;
    while (query->step())
        rows.push_back({query->text(0), query->text(1)});
    if (query->failed()) return failure("manifests", query->error());
    return rows;
}

Result<std::optional<EntryRow>> Index::find(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto query = db_.prepare("SELECT checksum, size_bytes, compile_seconds, source_display, "
                             "metadata FROM entries WHERE key = ?1");
    if (!query) return failure("find", query.error());
    query->bind(1, key);
    std::optional<EntryRow> row;
    if (query->step()) {
        row = EntryRow{key,
                       parse_hex64(query->text(0)),
                       static_cast<uint64_t>(query->int64(1)),
                       query->real(2),
                       query->text(3),
                       query->text(4)};
    }
    if (query->failed()) return failure("find", query->error());
    return row;
}

Result<void> Index::insert_all(std::span<const NewEntry> entries) {
    std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_);
    if (!tx) return failure("insert", tx.error());
    // An upsert rather than INSERT OR REPLACE: two processes that compiled the same key both
    // store it, and the second must neither reset the first's hits nor (through the cascade a
    // REPLACE would trigger) drop its manifests.
    auto upsert = db_.prepare(R"sql(
        INSERT INTO entries(key, direct_key, format, becore_version, kernel_headers_hash,
            backend, source_hash, flags, target, toolchain, salt, headers, source_display,
            size_bytes, checksum, compile_seconds, created, last_used, hits, metadata)
        VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17,
            0, ?18)
        ON CONFLICT(key) DO UPDATE SET size_bytes = excluded.size_bytes,
            checksum = excluded.checksum, compile_seconds = excluded.compile_seconds,
            source_display = excluded.source_display, metadata = excluded.metadata)sql");
    if (!upsert) return failure("insert", upsert.error());
    auto manifest = db_.prepare("INSERT OR REPLACE INTO manifests(direct_key, full_key, headers, "
                                "created) VALUES(?1, ?2, ?3, ?4)");
    if (!manifest) return failure("insert", manifest.error());
    for (const NewEntry& entry : entries) {
        const auto& f = entry.fields;
        upsert->reset();
        upsert->bind(1, entry.key)
            .bind(2, entry.direct_key)
            .bind(3, static_cast<int64_t>(std::atoll(field(f, "format").c_str())))
            .bind(4, field(f, "becore_version"))
            .bind(5, field(f, "kernel_headers_hash"))
            .bind(6, field(f, "backend"))
            .bind(7, field(f, "source_hash"))
            .bind(8, joined_flags(f))
            .bind(9, field(f, "target"))
            .bind(10, field(f, "toolchain"))
            .bind(11, field(f, "salt"))
            .bind(12, entry.headers)
            .bind(13, entry.source_display)
            .bind(14, static_cast<int64_t>(entry.size_bytes))
            .bind(15, hex64(entry.checksum))
            .bind(16, entry.compile_seconds)
            .bind(17, entry.now)
            .bind(18, entry.metadata);
        if (auto ok = upsert->run("insert entry"); !ok) return failure("insert", ok.error());
        manifest->reset();
        manifest->bind(1, entry.direct_key)
            .bind(2, entry.key)
            .bind(3, entry.headers)
            .bind(4, entry.now);
        if (auto ok = manifest->run("insert manifest"); !ok) return failure("insert", ok.error());
    }
    // The commit point of a store (BECORE_FAULT=before-commit dies with the rows written but
    // not committed: the next process sees the old state).
    fault_point("before-commit");
    if (auto ok = tx->commit(); !ok) return failure("insert: commit", ok.error());
    return {};
}

Result<bool> Index::remove(const std::string& key, uint64_t checksum) {
    std::lock_guard lock(mutex_);
    auto erase = db_.prepare("DELETE FROM entries WHERE key = ?1 AND checksum = ?2");
    if (!erase) return failure("remove", erase.error());
    erase->bind(1, key).bind(2, hex64(checksum));
    if (auto ok = erase->run("remove"); !ok) return failure("remove", ok.error());
    return sqlite3_changes(db_.handle()) > 0;
}

Result<std::vector<CacheEntryInfo>> Index::list() {
    std::lock_guard lock(mutex_);
    auto query = db_.prepare("SELECT key, backend, source_display, target, toolchain, "
                             "size_bytes, compile_seconds, created, last_used, hits, metadata "
                             "FROM entries ORDER BY created DESC, key");
    if (!query) return failure("list", query.error());
    std::vector<CacheEntryInfo> entries;
    while (query->step()) {
        CacheEntryInfo info;
        info.key = query->text(0);
        info.backend = query->text(1);
        info.source_display = query->text(2);
        info.target = query->text(3);
        info.toolchain = query->text(4);
        info.size_bytes = static_cast<uint64_t>(query->int64(5));
        info.compile_seconds = query->real(6);
        info.created = query->int64(7);
        info.last_used = query->int64(8);
        info.hits = static_cast<uint64_t>(query->int64(9));
        info.metadata = query->text(10);
        entries.push_back(std::move(info));
    }
    if (query->failed()) return failure("list", query->error());
    return entries;
}

Result<CacheStats> Index::stats() {
    std::lock_guard lock(mutex_);
    CacheStats stats;
    auto totals = db_.prepare("SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM entries");
    if (!totals) return failure("stats", totals.error());
    if (totals->step()) {
        stats.entries = static_cast<uint64_t>(totals->int64(0));
        stats.bytes = static_cast<uint64_t>(totals->int64(1));
    }
    if (totals->failed()) return failure("stats", totals->error());
    auto counters = db_.prepare("SELECT name, value FROM stats");
    if (!counters) return failure("stats", counters.error());
    while (counters->step()) {
        std::string name = counters->text(0);
        auto value = static_cast<uint64_t>(counters->int64(1));
        if (name == "hits") stats.hits = value;
        if (name == "misses") stats.misses = value;
        if (name == "compiles") stats.compiles = value;
        if (name == "corrupt_recovered") stats.corrupt_recovered = value;
        if (name == "compile_seconds_saved") stats.compile_seconds_saved = counters->real(1);
    }
    if (counters->failed()) return failure("stats", counters->error());
    return stats;
}

Result<void> Index::flush(const PendingStats& pending) {
    std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_);
    if (!tx) return failure("flush stats", tx.error());
    auto add = db_.prepare("INSERT INTO stats(name, value) VALUES(?1, ?2) "
                           "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value");
    if (!add) return failure("flush stats", add.error());
    const uint64_t counters[] = {pending.hits, pending.misses, pending.compiles,
                                 pending.corrupt_recovered};
    for (size_t i = 0; i < std::size(counters); ++i) {
        if (counters[i] == 0) continue;
        add->reset();
        add->bind(1, k_counter_names[i]).bind(2, static_cast<int64_t>(counters[i]));
        if (auto ok = add->run("flush"); !ok) return failure("flush stats", ok.error());
    }
    if (pending.compile_seconds_saved != 0) {
        add->reset();
        add->bind(1, "compile_seconds_saved").bind(2, pending.compile_seconds_saved);
        if (auto ok = add->run("flush"); !ok) return failure("flush stats", ok.error());
    }
    auto touch = db_.prepare(
        "UPDATE entries SET hits = hits + ?1, last_used = CASE WHEN ?2 >= last_used + ?3 "
        "THEN ?2 ELSE last_used END WHERE key = ?4");
    if (!touch) return failure("flush stats", touch.error());
    for (const auto& [key, use] : pending.uses) {
        touch->reset();
        touch->bind(1, static_cast<int64_t>(use.hits))
            .bind(2, use.last_used)
            .bind(3, k_last_used_resolution_s)
            .bind(4, key);
        if (auto ok = touch->run("flush"); !ok) return failure("flush stats", ok.error());
    }
    if (auto ok = tx->commit(); !ok) return failure("flush stats: commit", ok.error());
    return {};
}

Result<void> Index::remove_all() {
    std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_);
    if (!tx) return failure("clear", tx.error());
    if (auto ok = db_.exec("DELETE FROM manifests; DELETE FROM entries"); !ok)
        return failure("clear", ok.error());
    if (auto ok = tx->commit(); !ok) return failure("clear: commit", ok.error());
    return {};
}

} // namespace be::cache_detail
