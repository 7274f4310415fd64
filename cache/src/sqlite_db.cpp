#include "sqlite_db.h"

#include <sqlite3.h>

#include <cctype>
#include <utility>

namespace be::cache_detail {

Statement::~Statement() {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)),
      error_(std::move(other.error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (stmt_ != nullptr) sqlite3_finalize(stmt_);
        db_ = std::exchange(other.db_, nullptr);
        stmt_ = std::exchange(other.stmt_, nullptr);
        error_ = std::move(other.error_);
    }
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    int rc =
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK && error_.empty()) error_ = sqlite3_errstr(rc);
    return *this;
}

Statement& Statement::bind(int index, int64_t value) {
    int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK && error_.empty()) error_ = sqlite3_errstr(rc);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    int rc = sqlite3_bind_double(stmt_, index, value);
    if (rc != SQLITE_OK && error_.empty()) error_ = sqlite3_errstr(rc);
    return *this;
}

bool Statement::step() {
    if (!error_.empty() || stmt_ == nullptr) return false;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) error_ = sqlite3_errmsg(db_);
    return false;
}

Result<void> Statement::run(const std::string& what) {
    while (step()) {
    }
    if (failed()) return make_error(ErrorCode::io, what + ": " + error_);
    return {};
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    error_.clear();
}

std::string Statement::text(int column) const {
    const auto* data = sqlite3_column_text(stmt_, column);
    int size = sqlite3_column_bytes(stmt_, column);
    return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), size);
}

int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}
double Statement::real(int column) const {
    return sqlite3_column_double(stmt_, column);
}
bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

namespace {

// A file: URI for `path` (RFC 3986 percent-encoding of everything but unreserved characters and
// '/'), so any path can carry the URI parameters.
std::string file_uri(const std::string& path, const char* parameters) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string uri = "file:";
    for (unsigned char c : path) {
        if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
            uri += static_cast<char>(c);
        } else {
            uri += '%';
            uri += digits[c >> 4];
            uri += digits[c & 15];
        }
    }
    return uri + "?" + parameters;
}

} // namespace

Result<Database> Database::open(const std::string& path, OpenMode mode) {
    sqlite3* db = nullptr;
    // NOMUTEX: the cache serializes use of its connection itself.
    int flags = SQLITE_OPEN_NOMUTEX;
    std::string name = path;
    if (mode == OpenMode::read_write) flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (mode == OpenMode::read_only) flags |= SQLITE_OPEN_READONLY;
    if (mode == OpenMode::immutable) {
        flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
        name = file_uri(path, "immutable=1");
    }
    int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return make_error(ErrorCode::io, "cannot open " + path + ": " + message);
    }
    sqlite3_extended_result_codes(db, 1);
    return Database(db);
}

Database::~Database() {
    // sqlite3_close_v2 defers the close until every statement is finalized, so a statement
    // outliving its database by mistake is not a use-after-free.
    if (db_ != nullptr) sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        if (db_ != nullptr) sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

Result<void> Database::exec(const std::string& sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return {};
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return make_error(ErrorCode::io, text);
}

Result<Statement> Database::prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK)
        return make_error(ErrorCode::io, std::string(sqlite3_errmsg(db_)) + " in: " + sql);
    return Statement(db_, stmt);
}

std::string Database::last_error() const {
    return db_ != nullptr ? sqlite3_errmsg(db_) : "no database";
}

int Database::error_code() const {
    return db_ != nullptr ? sqlite3_extended_errcode(db_) : SQLITE_ERROR;
}

Result<Transaction> Transaction::begin(Database& db) {
    if (auto ok = db.exec("BEGIN IMMEDIATE"); !ok) return ok.error();
    return Transaction(&db);
}

Transaction::~Transaction() {
    if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
    if (db_ == nullptr) return make_error(ErrorCode::io, "commit: no transaction");
    auto ok = db_->exec("COMMIT");
    // A failed COMMIT (e.g. SQLITE_BUSY) leaves the transaction open; the destructor rolls it
    // back so the connection is usable again.
    if (ok) db_ = nullptr;
    return ok;
}

} // namespace be::cache_detail
