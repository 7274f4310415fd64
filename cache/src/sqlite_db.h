// Thin RAII wrappers over the sqlite3 C API: a connection, a prepared statement and an
// IMMEDIATE transaction. Errors come back as be::Result so the cache never throws.
#pragma once

#include <becore/runtime/error.h>

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace be::cache_detail {

class Statement {
  public:
    Statement() = default;
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are 1-based, as in SQL. Text is copied (SQLITE_TRANSIENT).
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, int64_t value);
    Statement& bind(int index, double value);

    // True while a row is available; false when done. An error is kept and reported by
    // `error()`, and step() then returns false, so loops stay simple.
    bool step();
    // Runs a statement that returns no rows; the error names `what`.
    Result<void> run(const std::string& what);
    void reset();
    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }

    // Columns are 0-based, as in sqlite3_column_*.
    std::string text(int column) const;
    int64_t int64(int column) const;
    double real(int column) const;
    bool is_null(int column) const;

  private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    std::string error_;
};

enum class OpenMode {
    read_write, // created if missing
    read_only,  // no writes; SQLite may still create the -shm file of a WAL database
    immutable,  // read-only and unlocked, the file is assumed not to change: for read-only
                // layers and directories, where not even a -shm file may be created
};

class Database {
  public:
    // Opens a database file; ":memory:" gives a private in-memory one.
    static Result<Database> open(const std::string& path, OpenMode mode = OpenMode::read_write);
    Database() = default;
    ~Database();
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    Result<void> exec(const std::string& sql);
    Result<Statement> prepare(const std::string& sql);
    std::string last_error() const;
    // sqlite3_extended_errcode of the last failed call on this connection.
    int error_code() const;
    sqlite3* handle() const { return db_; }

  private:
    explicit Database(sqlite3* db) : db_(db) {}
    sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE takes the write lock up front, so a transaction that reads then writes never
// fails half-way with SQLITE_BUSY (the busy_timeout applies to the BEGIN instead). Rolls back in
// the destructor unless committed.
class Transaction {
  public:
    static Result<Transaction> begin(Database& db);
    Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    ~Transaction();
    Result<void> commit();

  private:
    explicit Transaction(Database* db) : db_(db) {}
    Database* db_ = nullptr;
};

} // namespace be::cache_detail
