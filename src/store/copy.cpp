#include "store/copy.h"

#include <sqlite3.h>

#include <map>
#include <set>

#include "store/postgres/connection.h"
#include "store/postgres/schema.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/fts_rank.h"

namespace parley::store {
namespace {

// Rows per INSERT statement (PostgreSQL allows 65,535 parameters per statement).
constexpr int kRowsPerInsert = 200;

// What PostgreSQL holds that SQLite keeps elsewhere: a chunk's analysed terms are in SQLite's full-text index,
// each column after the bot's token and a space (sqlite/chunk_index.h).
const std::map<std::string, std::map<std::string, std::string>> kColumnsFromElsewhere = {
    {"chunks",
     {{"index_title", "(SELECT substr(i.title, instr(i.title, ' ') + 1) FROM chunk_index i WHERE i.rowid = chunks.id)"},
      {"index_headings",
       "(SELECT substr(i.headings, instr(i.headings, ' ') + 1) FROM chunk_index i WHERE i.rowid = chunks.id)"},
      {"index_body", "(SELECT substr(i.body, instr(i.body, ' ') + 1) FROM chunk_index i WHERE i.rowid = chunks.id)"}}},
};

// PostgreSQL's tables of the store in an order that satisfies their foreign keys (referenced tables first), with the
// columns a copy writes (not those PostgreSQL generates itself).
std::vector<std::pair<std::string, std::vector<std::string>>> target_tables(postgres::Connection& pg) {
  std::map<std::string, std::vector<std::string>> columns;
  {
    auto stmt = pg.prepare(
        "SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid WHERE n.nspname = current_schema() AND c.relkind = 'r' "
        "AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity <> 'a' "
        "AND c.relname NOT IN ('schema_migrations', 'knowledge_log', 'broadcasts') ORDER BY c.relname, a.attnum");
    while (stmt.step()) columns[stmt.text(0)].push_back(stmt.text(1));
  }
  std::map<std::string, std::set<std::string>> references;
  {
    auto stmt = pg.prepare(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c "
        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = current_schema()");
    while (stmt.step()) {
      if (stmt.text(0) != stmt.text(1)) references[stmt.text(0)].insert(stmt.text(1));
    }
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> ordered;
  std::set<std::string> placed;
  while (placed.size() < columns.size()) {
    const std::size_t before = placed.size();
    for (const auto& [table, names] : columns) {
      if (placed.contains(table)) continue;
      bool ready = true;
      for (const auto& referenced : references[table]) ready = ready && (placed.contains(referenced) || !columns.contains(referenced));
      if (!ready) continue;
      ordered.emplace_back(table, names);
      placed.insert(table);
    }
    if (placed.size() == before) throw std::runtime_error("the tables' foreign keys form a cycle");
  }
  return ordered;
}

// SQLite statements through the C API: the copy reads each value with its own type.
class SqliteQuery {
 public:
  SqliteQuery(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      sqlite::throw_sqlite_error(db, sqlite3_errcode(db), "prepare");
    }
  }
  SqliteQuery(const SqliteQuery&) = delete;
  SqliteQuery& operator=(const SqliteQuery&) = delete;
  ~SqliteQuery() { sqlite3_finalize(stmt_); }
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) sqlite::throw_sqlite_error(db_, rc, "step");
    return false;
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

std::vector<std::string> sqlite_columns(sqlite3* db, const std::string& table) {
  std::vector<std::string> names;
  SqliteQuery info(db, "SELECT name FROM pragma_table_info('" + table + "')");
  while (info.step()) names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 0)));
  return names;
}

bool has_rowid(sqlite3* db, const std::string& table) {
  sqlite3_stmt* stmt = nullptr;
  const bool ok = sqlite3_prepare_v2(db, ("SELECT rowid FROM \"" + table + "\" LIMIT 0").c_str(), -1, &stmt, nullptr) == SQLITE_OK;
  sqlite3_finalize(stmt);
  return ok;
}

std::int64_t count_rows(sqlite3* db, const std::string& table) {
  SqliteQuery count(db, "SELECT count(*) FROM \"" + table + "\"");
  count.step();
  return sqlite3_column_int64(count.get(), 0);
}

std::int64_t count_rows(postgres::Connection& pg, const std::string& table) {
  auto count = pg.prepare("SELECT count(*) FROM \"" + table + "\"");
  count.step();
  return count.integer(0);
}

// Copies one table's rows; returns how many.
std::int64_t copy_table(sqlite3* source, postgres::Connection& pg, const std::string& table,
                        const std::vector<std::string>& target_columns) {
  const std::vector<std::string> present = sqlite_columns(source, table);
  const auto elsewhere = kColumnsFromElsewhere.find(table);
  std::vector<std::string> names, expressions;
  for (const auto& column : target_columns) {
    if (std::find(present.begin(), present.end(), column) != present.end()) {
      names.push_back(column);
      expressions.push_back("\"" + column + "\"");
    } else if (elsewhere != kColumnsFromElsewhere.end() && elsewhere->second.contains(column)) {
      names.push_back(column);
      expressions.push_back(elsewhere->second.at(column));
    }
  }
  if (names.empty()) return 0;
  std::string select = "SELECT ";
  std::string insert_head = "INSERT INTO \"" + table + "\" (";
  for (std::size_t i = 0; i < names.size(); ++i) {
    select += (i > 0 ? ", " : "") + expressions[i];
    insert_head += (i > 0 ? ", \"" : "\"") + names[i] + "\"";
  }
  // In insertion order, so that PostgreSQL's own ordering columns (rowid) follow it.
  select += " FROM \"" + table + "\"" + (has_rowid(source, table) ? " ORDER BY rowid" : "");
  insert_head += ") VALUES ";
  std::string row_values = "(";
  for (std::size_t i = 0; i < names.size(); ++i) row_values += i > 0 ? ", ?" : "?";
  row_values += ")";

  SqliteQuery rows(source, select);
  const int width = static_cast<int>(names.size());
  std::int64_t copied = 0;
  std::vector<std::vector<std::pair<int, std::string>>> batch;  // (SQLite type, value) per column
  const auto flush = [&] {
    if (batch.empty()) return;
    std::string sql = insert_head;
    for (std::size_t r = 0; r < batch.size(); ++r) sql += (r > 0 ? ", " : "") + row_values;
    auto insert = pg.prepare(sql);
    int parameter = 1;
    for (const auto& row : batch) {
      for (const auto& [type, value] : row) {
        switch (type) {
          case SQLITE_NULL: insert.bind_null(parameter); break;
          case SQLITE_INTEGER: insert.bind(parameter, static_cast<std::int64_t>(std::stoll(value))); break;
          case SQLITE_FLOAT: insert.bind(parameter, std::stod(value)); break;
          case SQLITE_BLOB: insert.bind_blob(parameter, value); break;
          default: insert.bind(parameter, std::string_view(value)); break;
        }
        ++parameter;
      }
    }
    insert.run();
    copied += static_cast<std::int64_t>(batch.size());
    batch.clear();
  };
  while (rows.step()) {
    std::vector<std::pair<int, std::string>> row;
    row.reserve(names.size());
    for (int column = 0; column < width; ++column) {
      const int type = sqlite3_column_type(rows.get(), column);
      std::string value;
      if (type == SQLITE_INTEGER) {
        value = std::to_string(sqlite3_column_int64(rows.get(), column));
      } else if (type == SQLITE_FLOAT) {
        char buffer[40];
        std::snprintf(buffer, sizeof buffer, "%.17g", sqlite3_column_double(rows.get(), column));
        value = buffer;
      } else if (type != SQLITE_NULL) {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(rows.get(), column));
        value.assign(data != nullptr ? data : "", static_cast<std::size_t>(sqlite3_column_bytes(rows.get(), column)));
      }
      row.emplace_back(type, std::move(value));
    }
    batch.push_back(std::move(row));
    if (static_cast<int>(batch.size()) >= kRowsPerInsert) flush();
  }
  flush();
  return copied;
}

}  // namespace

std::string redacted_url(std::string_view url) { return postgres::redact_url(url); }

Result<std::vector<CopiedTable>> copy_to_postgres(const std::string& sqlite_path, const std::string& url,
                                                  const std::function<void(const CopiedTable&)>& progress) {
  std::vector<CopiedTable> copied;
  try {
    sqlite::Connection source(sqlite_path);
    if (!sqlite::register_fts_rank(source.handle())) {  // its tokenizer, to read the full-text index
      return make_error(ErrorCode::unavailable, "SQLite was built without FTS5");
    }
    postgres::Connection pg(url);
    postgres::migrate(pg);
    if (count_rows(pg, "workspaces") > 0) {
      return make_error(ErrorCode::conflict, "the PostgreSQL database already holds Parley data; copy into an empty one");
    }
    const auto tables = target_tables(pg);
    // One snapshot of the source for the whole copy, however long it takes.
    source.exec("BEGIN");
    std::set<std::string> in_source;
    {
      SqliteQuery names(source.handle(), "SELECT name FROM sqlite_master WHERE type = 'table'");
      while (names.step()) in_source.insert(reinterpret_cast<const char*>(sqlite3_column_text(names.get(), 0)));
    }
    pg.exec("BEGIN");
    try {
      for (const auto& [table, columns] : tables) {
        if (!in_source.contains(table)) continue;  // a table this SQLite version does not have yet
        const std::int64_t expected = count_rows(source.handle(), table);
        copy_table(source.handle(), pg, table, columns);
        const std::int64_t found = count_rows(pg, table);
        if (found != expected) {
          throw std::runtime_error("table " + table + ": " + std::to_string(expected) + " rows in SQLite, " +
                                   std::to_string(found) + " in PostgreSQL");
        }
        copied.push_back({table, found});
        if (progress) progress(copied.back());
      }
      // Ids assigned from here on continue after the copied ones.
      auto identities = pg.prepare(
          "SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          "JOIN pg_attribute a ON a.attrelid = c.oid WHERE n.nspname = current_schema() AND a.attidentity = 'd'");
      std::vector<std::pair<std::string, std::string>> sequences;
      while (identities.step()) sequences.emplace_back(identities.text(0), identities.text(1));
      identities.reset();
      for (const auto& [table, column] : sequences) {
        pg.exec("SELECT setval(pg_get_serial_sequence('\"" + table + "\"', '" + column + "'), COALESCE((SELECT max(\"" +
                column + "\") FROM \"" + table + "\"), 0) + 1, false)");
      }
      pg.exec("COMMIT");
    } catch (...) {
      if (!pg.broken()) pg.exec("ROLLBACK");
      throw;
    }
    source.exec("COMMIT");
  } catch (const postgres::PgError& error) {
    return make_error(ErrorCode::unavailable, error.what());
  } catch (const std::exception& error) {
    return make_error(ErrorCode::internal, std::string("copy failed: ") + error.what());
  }
  return copied;
}

}  // namespace parley::store
