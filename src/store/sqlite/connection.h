// A thin RAII layer over one SQLite connection: prepared-statement cache, typed binds and columns (the
// SqlConnection interface shared with the PostgreSQL backend).
// Errors inside this layer are thrown as SqliteError and turned into Result errors at the store boundary.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/sql/connection.h"
#include "store/sqlite/fts_rank.h"

namespace parley::store::sqlite {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// A cached prepared statement of a connection (see Statement in store/sql/connection.h).
class SqliteStatement final : public StatementImpl {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void bind_text(int index, std::string_view value) override;
  void bind_integer(int index, std::int64_t value) override;
  void bind_real(int index, double value) override;
  void bind_null(int index) override;
  void bind_blob(int index, std::string_view bytes) override;
  // A pointer for an application-defined SQL function (sqlite3_bind_pointer), valid while the statement runs.
  void bind_pointer(int index, void* pointer, const char* type);
  int parameter_index(const char* name) const override { return sqlite3_bind_parameter_index(stmt_, name); }
  int parameter_count() const override { return sqlite3_bind_parameter_count(stmt_); }
  bool is_named_parameter(int index) const override { return sqlite3_bind_parameter_name(stmt_, index) != nullptr; }
  void reset() override;
  bool step() override;
  std::string text(int column) const override;
  std::int64_t integer(int column) const override { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const override { return sqlite3_column_double(stmt_, column); }
  bool is_null(int column) const override { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string sql() const override { return sqlite3_sql(stmt_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Binds a pointer for an application-defined SQL function to a statement of a SQLite connection.
inline Statement& bind_pointer(Statement& stmt, int index, void* pointer, const char* type) {
  static_cast<SqliteStatement&>(stmt.impl()).bind_pointer(index, pointer, type);
  return stmt;
}

class Connection final : public SqlConnection {
 public:
  // Opens (creating if needed) the database file and applies the per-connection settings (WAL, foreign keys,
  // busy timeout).
  explicit Connection(const std::string& path);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // A cached prepared statement; valid until the returned Statement is destroyed.
  Statement prepare(std::string_view sql) override;
  // Runs one or more statements that return no rows (DDL, pragmas).
  void exec(std::string_view sql);
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const override { return sqlite3_changes(db_); }
  Statement prepare_insert(std::string_view insert_sql) override { return prepare(insert_sql); }
  std::int64_t insert(Statement& statement) override {
    statement.run();
    return last_insert_rowid();
  }
  sqlite3* handle() const { return db_; }
  // Drops cached statements (after DDL that changes tables they use).
  void clear_statement_cache();
  std::size_t cached_statement_count() const { return cache_.size(); }
  // The ranking function's row lengths (fts_rank.h), kept with the connection that ranks.
  RowLengthCache& row_lengths() { return row_lengths_; }
  // The full-text tokenizer, for counting the tokens of indexed rows (fts_rank.h); created on first use.
  const TokenCounter& tokens();

 private:
  sqlite3* db_ = nullptr;
  // Looked up by string_view without building a std::string: prepare() runs several times per request.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>, SqlHash, std::equal_to<>> cache_;
  RowLengthCache row_lengths_;
  std::unique_ptr<TokenCounter> tokens_;
};

[[noreturn]] void throw_sqlite_error(sqlite3* db, int code, std::string_view context);

}  // namespace parley::store::sqlite
