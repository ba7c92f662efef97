// A thin RAII layer over one libpq connection, behind the SqlConnection interface the SQL backends share: the
// same SQL text runs here and on SQLite. Parameters written the SQLite way ("?", "?2", ":name") become $n; each
// statement is prepared on the server once per connection and parameter types (sent with the first execution).
// Errors are thrown as PgError and turned into Result errors at the store boundary.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/sql/connection.h"

namespace parley::store::postgres {

class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& message, bool connection_lost)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)), connection_lost_(connection_lost) {}
  // The SQLSTATE code ("23505": unique violation, "40001": serialization failure, ...); empty when none.
  const std::string& sqlstate() const { return sqlstate_; }
  // The connection broke (server restart, network): the transaction did not commit, the connection is useless.
  bool connection_lost() const { return connection_lost_; }

 private:
  std::string sqlstate_;
  bool connection_lost_;
};

// SQL written with SQLite's parameters, for PostgreSQL: "?" takes the next number, "?N" number N, ":name" the
// next number at its first use and the same one after. Quoted text, identifiers, "::" casts and comments are
// left alone.
struct TranslatedSql {
  std::string text;
  int parameter_count = 0;
  std::vector<std::string> names;  // by number - 1: the name (":ws") of a named parameter, "" for "?"
};
TranslatedSql translate_parameters(std::string_view sql);

class Connection;

class PgStatement final : public StatementImpl {
 public:
  PgStatement(Connection& connection, std::string sql, TranslatedSql translated);
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;
  ~PgStatement() override;

  void bind_text(int index, std::string_view value) override;
  void bind_integer(int index, std::int64_t value) override;
  void bind_real(int index, double value) override;
  void bind_null(int index) override;
  void bind_blob(int index, std::string_view bytes) override;
  int parameter_index(const char* name) const override;
  int parameter_count() const override { return translated_.parameter_count; }
  bool is_named_parameter(int index) const override;
  void reset() override;
  bool step() override;
  std::string text(int column) const override;
  std::int64_t integer(int column) const override;
  double real(int column) const override;
  bool is_null(int column) const override;
  std::string sql() const override { return sql_; }

 private:
  void set(int index, std::string value, unsigned type, int format);
  void execute();

  Connection& connection_;
  std::string sql_;
  TranslatedSql translated_;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<unsigned> types_;  // Oid of each bound value; 0 (let the server infer) for NULL
  std::vector<int> formats_;     // 0 text, 1 binary (bytea)
  // Server-side prepared statements by parameter types.
  std::map<std::vector<unsigned>, std::string> prepared_;
  PGresult* result_ = nullptr;
  int row_ = -1;
};

class Connection final : public SqlConnection {
 public:
  // Connects (a postgresql:// URL or key=value string); throws PgError with a message that never holds the
  // password.
  explicit Connection(const std::string& url);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() override;

  Statement prepare(std::string_view sql) override;
  int changes() const override { return changes_; }
  // PostgreSQL reads the new id back in the same statement: the INSERT with "RETURNING id" appended.
  Statement prepare_insert(std::string_view insert_sql) override;
  std::int64_t insert(Statement& statement) override;
  // Runs one or more statements without parameters (DDL, BEGIN/COMMIT).
  void exec(std::string_view sql);
  PGconn* handle() const { return conn_; }
  bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }
  // Drops cached statements (before DDL, or when the cache grew large).
  void clear_statement_cache();
  std::size_t cached_statement_count() const { return cache_.size(); }

  // For PgStatement.
  std::string next_statement_name() { return "p" + std::to_string(++statement_counter_); }
  void set_changes(int changes) { changes_ = changes; }
  [[noreturn]] void throw_error(const PGresult* result, std::string_view context) const;

 private:
  PGconn* conn_ = nullptr;
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, std::unique_ptr<PgStatement>, SqlHash, std::equal_to<>> cache_;
  int changes_ = 0;
  std::uint64_t statement_counter_ = 0;
};

// The URL with its password replaced by "***", for messages and logs.
std::string redact_url(std::string_view url);

}  // namespace parley::store::postgres
