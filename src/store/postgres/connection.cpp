#include "store/postgres/connection.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace parley::store::postgres {
namespace {

// Type Oids (pg_type.dat); libpq clients have no header for them.
constexpr unsigned kBoolOid = 16;
constexpr unsigned kByteaOid = 17;
constexpr unsigned kInt8Oid = 20;
constexpr unsigned kTextOid = 25;
constexpr unsigned kFloat8Oid = 701;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The first line of a libpq error message, without the trailing newline.
std::string first_line(const char* message) {
  std::string text = message != nullptr ? message : "";
  if (const auto end = text.find('\n'); end != std::string::npos) text.resize(end);
  return text;
}

}  // namespace

TranslatedSql translate_parameters(std::string_view sql) {
  TranslatedSql out;
  out.text.reserve(sql.size() + 16);
  const auto number = [&](int n) {
    out.text += '$';
    out.text += std::to_string(n);
    if (n > out.parameter_count) {
      out.parameter_count = n;
      out.names.resize(static_cast<std::size_t>(n));
    }
  };
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // a literal or a quoted identifier, doubled quotes inside
      const std::size_t end = sql.find(c, i + 1);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.text.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {  // a comment, to the end of the line
      const std::size_t end = sql.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.text.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':') {  // a cast
      out.text += "::";
      ++i;
    } else if (c == ':' && i + 1 < sql.size() && is_name_char(sql[i + 1])) {
      std::size_t end = i + 1;
      while (end < sql.size() && is_name_char(sql[end])) ++end;
      const std::string name(sql.substr(i, end - i));
      int n = 0;
      for (std::size_t k = 0; k < out.names.size(); ++k) {
        if (out.names[k] == name) n = static_cast<int>(k) + 1;
      }
      if (n == 0) {
        n = out.parameter_count + 1;
        number(n);
        out.names[static_cast<std::size_t>(n) - 1] = name;
      } else {
        number(n);
      }
      i = end - 1;
    } else if (c == '?') {
      std::size_t end = i + 1;
      while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') ++end;
      if (end > i + 1) {
        number(std::atoi(std::string(sql.substr(i + 1, end - i - 1)).c_str()));
      } else {
        number(out.parameter_count + 1);
      }
      i = end - 1;
    } else {
      out.text += c;
    }
  }
  return out;
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  // postgresql://user:password@host/...: the password sits between the first ':' after the scheme and the '@'.
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const auto at = out.find('@', scheme + 3);
    const auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // key=value form and query parameters: password=...
  for (std::size_t at = out.find("password="); at != std::string::npos; at = out.find("password=", at + 1)) {
    const std::size_t begin = at + 9;
    std::size_t end = begin;
    while (end < out.size() && out[end] != ' ' && out[end] != '&') ++end;
    out.replace(begin, end - begin, "***");
  }
  return out;
}

// ---- PgStatement ----

PgStatement::PgStatement(Connection& connection, std::string sql, TranslatedSql translated)
    : connection_(connection), sql_(std::move(sql)), translated_(std::move(translated)) {
  const auto count = static_cast<std::size_t>(translated_.parameter_count);
  values_.resize(count);
  null_.assign(count, true);
  types_.assign(count, 0);
  formats_.assign(count, 0);
}

PgStatement::~PgStatement() { PQclear(result_); }

void PgStatement::set(int index, std::string value, unsigned type, int format) {
  if (index < 1 || index > translated_.parameter_count) {
    throw PgError("", "parameter " + std::to_string(index) + " out of range in: " + sql_, false);
  }
  const auto i = static_cast<std::size_t>(index - 1);
  values_[i] = std::move(value);
  null_[i] = false;
  types_[i] = type;
  formats_[i] = format;
}

void PgStatement::bind_text(int index, std::string_view value) { set(index, std::string(value), kTextOid, 0); }

void PgStatement::bind_integer(int index, std::int64_t value) { set(index, std::to_string(value), kInt8Oid, 0); }

void PgStatement::bind_real(int index, double value) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  set(index, std::string(buffer, error == std::errc() ? end : buffer), kFloat8Oid, 0);
}

void PgStatement::bind_null(int index) {
  set(index, std::string(), 0, 0);
  null_[static_cast<std::size_t>(index - 1)] = true;
}

void PgStatement::bind_blob(int index, std::string_view bytes) { set(index, std::string(bytes), kByteaOid, 1); }

int PgStatement::parameter_index(const char* name) const {
  for (std::size_t i = 0; i < translated_.names.size(); ++i) {
    if (translated_.names[i] == name) return static_cast<int>(i) + 1;
  }
  return 0;
}

bool PgStatement::is_named_parameter(int index) const {
  return index >= 1 && index <= translated_.parameter_count &&
         !translated_.names[static_cast<std::size_t>(index - 1)].empty();
}

void PgStatement::reset() {
  PQclear(result_);
  result_ = nullptr;
  row_ = -1;
  std::fill(null_.begin(), null_.end(), true);
  std::fill(types_.begin(), types_.end(), 0u);
  std::fill(formats_.begin(), formats_.end(), 0);
}

void PgStatement::execute() {
  PGconn* conn = connection_.handle();
  auto& name = prepared_[types_];
  if (name.empty()) {
    const std::string candidate = connection_.next_statement_name();
    PGresult* prepared = PQprepare(conn, candidate.c_str(), translated_.text.c_str(), translated_.parameter_count,
                                   types_.data());
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) {
      prepared_.erase(types_);
      connection_.throw_error(prepared, "prepare");  // frees the result
    }
    PQclear(prepared);
    name = candidate;
  }
  const auto count = static_cast<std::size_t>(translated_.parameter_count);
  std::vector<const char*> values(count);
  std::vector<int> lengths(count);
  for (std::size_t i = 0; i < count; ++i) {
    values[i] = null_[i] ? nullptr : values_[i].data();
    lengths[i] = static_cast<int>(values_[i].size());
  }
  result_ = PQexecPrepared(conn, name.c_str(), translated_.parameter_count, values.data(), lengths.data(),
                           formats_.data(), 0);
  const ExecStatusType status = PQresultStatus(result_);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    PGresult* failed = result_;
    result_ = nullptr;
    connection_.throw_error(failed, "query");
  }
  const char* affected = PQcmdTuples(result_);
  connection_.set_changes(affected != nullptr && *affected != '\0' ? std::atoi(affected) : 0);
}

bool PgStatement::step() {
  if (result_ == nullptr) execute();
  ++row_;
  return row_ < PQntuples(result_);
}

bool PgStatement::is_null(int column) const { return PQgetisnull(result_, row_, column) != 0; }

std::string PgStatement::text(int column) const {
  if (is_null(column)) return {};
  const char* value = PQgetvalue(result_, row_, column);
  const int length = PQgetlength(result_, row_, column);
  if (PQftype(result_, column) == kByteaOid) {
    std::size_t size = 0;
    unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(value), &size);
    if (bytes == nullptr) throw PgError("", "cannot decode a bytea column", false);
    std::string out(reinterpret_cast<const char*>(bytes), size);
    PQfreemem(bytes);
    return out;
  }
  if (PQftype(result_, column) == kBoolOid) return value[0] == 't' ? "1" : "0";
  return std::string(value, static_cast<std::size_t>(length));
}

std::int64_t PgStatement::integer(int column) const {
  if (is_null(column)) return 0;
  const char* value = PQgetvalue(result_, row_, column);
  if (PQftype(result_, column) == kBoolOid) return value[0] == 't' ? 1 : 0;
  std::int64_t out = 0;
  const char* end = value + PQgetlength(result_, row_, column);
  const auto [stop, error] = std::from_chars(value, end, out);
  if (error == std::errc() && (stop == end || *stop == '.')) return out;
  return static_cast<std::int64_t>(std::strtod(value, nullptr));  // a float or numeric column read as an integer
}

double PgStatement::real(int column) const {
  if (is_null(column)) return 0;
  const char* value = PQgetvalue(result_, row_, column);
  if (PQftype(result_, column) == kBoolOid) return value[0] == 't' ? 1 : 0;
  return std::strtod(value, nullptr);
}

// ---- Connection ----

Connection::Connection(const std::string& url) {
  conn_ = PQconnectdb(url.c_str());
  if (conn_ == nullptr) throw PgError("", "cannot connect to PostgreSQL: out of memory", true);
  if (PQstatus(conn_) != CONNECTION_OK) {
    // libpq's message names the host and the reason, never the password.
    std::string message = "cannot connect to PostgreSQL at " + redact_url(url) + ": " + first_line(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw PgError("08001", message, true);
  }
  // Notices (e.g. "relation already exists, skipping") are not errors; keep them out of stderr.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  exec("SET client_min_messages = warning; SET TIME ZONE 'UTC'");
}

Connection::~Connection() {
  cache_.clear();
  if (conn_ != nullptr) PQfinish(conn_);
}

void Connection::throw_error(const PGresult* result, std::string_view context) const {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = std::string(context) + ": " +
                        first_line(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (message.size() <= context.size() + 2) message += first_line(PQerrorMessage(conn_));
  const bool lost = PQstatus(conn_) != CONNECTION_OK;
  std::string sqlstate = state != nullptr ? state : "";
  PQclear(const_cast<PGresult*>(result));
  throw PgError(std::move(sqlstate), message, lost);
}

void Connection::exec(std::string_view sql) {
  PGresult* result = PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    throw_error(result, "exec");
  }
  PQclear(result);
}

void Connection::clear_statement_cache() {
  cache_.clear();
  if (!broken()) exec("DEALLOCATE ALL");
}

Statement Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    it = cache_.emplace(std::string(sql), std::make_unique<PgStatement>(*this, std::string(sql), translate_parameters(sql)))
             .first;
  }
  return Statement(*it->second);
}

Statement Connection::prepare_insert(std::string_view insert_sql) {
  std::string returning;
  returning.reserve(insert_sql.size() + 13);
  returning.append(insert_sql).append(" RETURNING id");
  return prepare(returning);
}

std::int64_t Connection::insert(Statement& statement) {
  if (!statement.step()) throw PgError("", "no id returned by: " + statement.impl().sql(), false);
  const std::int64_t id = statement.integer(0);
  statement.run();
  return id;
}

}  // namespace parley::store::postgres
