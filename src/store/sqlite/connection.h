// A thin RAII layer over one SQLite connection: prepared-statement cache, typed binds and columns.
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

#include "store/sqlite/fts_rank.h"

namespace parley::store::sqlite {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();  // resets the cached statement and clears its bindings

  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind_null(int index);
  Statement& bind_blob(int index, std::string_view bytes);
  // A pointer for an application-defined SQL function (sqlite3_bind_pointer), valid while the statement runs.
  Statement& bind_pointer(int index, void* pointer, const char* type);
  // Binds a named parameter (":ws"); a name the statement does not use is ignored.
  template <typename T>
  Statement& bind(const char* name, const T& value) {
    const int index = parameter_index(name);
    return index == 0 ? *this : bind(index, value);
  }
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Binds `args` in order to the statement's plain "?" parameters, skipping named ones (":ws"), wherever the
  // named ones stand.
  template <typename... Args>
  Statement& bind_positional(const Args&... args) {
    [[maybe_unused]] int slot = 0;
    (bind(next_unnamed_parameter(slot), args), ...);
    return *this;
  }

  // Makes the statement ready to run again with new bindings.
  void reset();
  // Advances to the next row; false when done.
  bool step();
  // Runs a statement that returns no rows.
  void run();

  std::string text(int column) const;
  std::string_view blob(int column) const;  // valid until the next step or reset
  std::int64_t integer(int column) const;
  double real(int column) const;
  bool is_null(int column) const;
  std::optional<std::int64_t> optional_integer(int column) const;

 private:
  int parameter_index(const char* name) const { return sqlite3_bind_parameter_index(stmt_, name); }
  // The index of the first unnamed parameter after `slot` (updated); throws when there is none.
  int next_unnamed_parameter(int& slot) const;

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating if needed) the database file and applies the per-connection settings (WAL, foreign keys,
  // busy timeout).
  explicit Connection(const std::string& path);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // A cached prepared statement; valid until the returned Statement is destroyed.
  Statement prepare(std::string_view sql);
  // Runs one or more statements that return no rows (DDL, pragmas).
  void exec(std::string_view sql);
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  sqlite3* handle() const { return db_; }
  // Drops cached statements (after DDL that changes tables they use).
  void clear_statement_cache();
  std::size_t cached_statement_count() const { return cache_.size(); }
  // The ranking function's row lengths (fts_rank.h), kept with the connection that ranks.
  RowLengthCache& row_lengths() { return row_lengths_; }

 private:
  sqlite3* db_ = nullptr;
  // Looked up by string_view without building a std::string: prepare() runs several times per request.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
  RowLengthCache row_lengths_;
};

[[noreturn]] void throw_sqlite_error(sqlite3* db, int code, std::string_view context);

}  // namespace parley::store::sqlite
