#include "store/sqlite/connection.h"

namespace parley::store::sqlite {

void throw_sqlite_error(sqlite3* db, int code, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqliteError(code, message);
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void SqliteStatement::bind_text(int index, std::string_view value) {
  const int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind text");
}

void SqliteStatement::bind_integer(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind integer");
}

void SqliteStatement::bind_real(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind real");
}

void SqliteStatement::bind_blob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind blob");
}

void SqliteStatement::bind_pointer(int index, void* pointer, const char* type) {
  const int rc = sqlite3_bind_pointer(stmt_, index, pointer, type, nullptr);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind pointer");
}

void SqliteStatement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "bind null");
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite_error(db_, rc, "step");
}

std::string SqliteStatement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

Connection::Connection(const std::string& path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "cannot open database " + path + ": " +
                          (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(rc, message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 10000);
  // WAL: readers never block the writer; NORMAL sync: a committed transaction survives a process crash
  // (a power loss may drop the last commits; `store.synchronous = full` in the config trades speed for that).
  // Larger page cache; checkpoints every ~16 MB of WAL instead of 4 MB, so that bulk ingestion is not dominated by
  // checkpoint I/O (the store's writer leaves them to its checkpointer thread). No memory-mapped reads: SQLite
  // unmaps a connection's whole mapping whenever another connection has written, so under chat traffic (a write
  // per turn) every read transaction paid munmap, mmap and a page fault per page touched; pread costs less
  // (bench/http/chat_load.sh: server system time per answer 0.20 -> 0.16 ms, page faults 8 -> 0.7).
  exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
       "PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint=4000;");
}

const TokenCounter& Connection::tokens() {
  if (!tokens_) tokens_ = std::make_unique<TokenCounter>(db_);
  return *tokens_;
}

Connection::~Connection() {
  tokens_.reset();
  clear_statement_cache();
  sqlite3_close_v2(db_);
}

void Connection::clear_statement_cache() { cache_.clear(); }

Statement Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "prepare");
    it = cache_.emplace(std::string(sql), std::make_unique<SqliteStatement>(db_, stmt)).first;
  }
  return Statement(*it->second);
}

void Connection::exec(std::string_view sql) {
  char* error = nullptr;
  const std::string owned(sql);
  const int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw SqliteError(rc, "exec: " + message);
  }
}

}  // namespace parley::store::sqlite
