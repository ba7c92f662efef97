#include "store/maintenance.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

namespace parley::store {
namespace {

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, CloseDatabase>;

Result<Database> open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) {
    return make_error(ErrorCode::unavailable,
                      "cannot open " + path + ": " + (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, 10'000);
  return db;
}

// Runs `sql`, calling `row` for each result row; false with the error message on failure.
bool query(sqlite3* db, const std::string& sql, const std::function<void(sqlite3_stmt*)>& row, std::string* error) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) row(stmt);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_OK) {
    if (error != nullptr) *error = sqlite3_errmsg(db);
    return false;
  }
  return true;
}

std::int64_t pragma_integer(sqlite3* db, const std::string& pragma) {
  std::int64_t value = 0;
  query(db, "PRAGMA " + pragma, [&](sqlite3_stmt* stmt) { value = sqlite3_column_int64(stmt, 0); }, nullptr);
  return value;
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = sqlite3_column_text(stmt, column);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

}  // namespace

Result<IntegrityReport> check_database(const std::string& path, bool full) {
  if (!std::filesystem::exists(path)) return make_error(ErrorCode::not_found, "no database at " + path);
  PARLEY_ASSIGN_OR_RETURN(const Database db, open(path, SQLITE_OPEN_READONLY));
  IntegrityReport report;
  std::string error;
  std::vector<std::string> findings;
  const bool ran = query(db.get(), full ? "PRAGMA integrity_check(100)" : "PRAGMA quick_check(100)",
                         [&](sqlite3_stmt* stmt) {
                           // One row may hold several findings, a line each, under a "*** in database main ***".
                           std::istringstream lines(column_text(stmt, 0));
                           for (std::string line; std::getline(lines, line);) {
                             if (!line.empty() && !line.starts_with("*** ")) findings.push_back(line);
                           }
                         },
                         &error);
  if (!ran) {
    // A check that stops on damage (a file too damaged to check, or a page it cannot read) is a finding too, not a
    // failure to report: what it found before stopping is kept.
    findings.push_back(error);
    if (findings.size() == 1) {
      report.problems = std::move(findings);
      return report;
    }
  }
  report.ok = ran && findings.size() == 1 && findings.front() == "ok";
  // Name the table or index of each "Tree N" (its root page) while the schema is readable.
  std::map<std::int64_t, std::string> roots;
  query(db.get(), "SELECT rootpage, type, name FROM sqlite_schema WHERE rootpage > 0",
        [&](sqlite3_stmt* stmt) {
          roots[sqlite3_column_int64(stmt, 0)] = column_text(stmt, 1) + " " + column_text(stmt, 2);
        },
        nullptr);
  // "Tree N page M ..." (a page of the tree rooted at N), or "Page N: ..." (page N itself, which may be a root).
  static const std::regex tree(R"((?:Tree (\d+) page)|(?:^Page (\d+):))");
  if (!report.ok) {
    for (auto& finding : findings) {
      std::smatch match;
      if (std::regex_search(finding, match, tree)) {
        const std::string page = match[1].matched ? match[1].str() : match[2].str();
        if (const auto it = roots.find(std::stoll(page)); it != roots.end()) finding += " (" + it->second + ")";
      }
      report.problems.push_back(std::move(finding));
    }
  }
  query(db.get(), "SELECT max(version) FROM schema_migrations",
        [&](sqlite3_stmt* stmt) { report.schema_version = sqlite3_column_int(stmt, 0); }, nullptr);
  report.page_size = pragma_integer(db.get(), "page_size");
  report.page_count = pragma_integer(db.get(), "page_count");
  report.freelist_pages = pragma_integer(db.get(), "freelist_count");
  return report;
}

Result<DatabaseSummary> summarize_database(const std::string& path) {
  if (!std::filesystem::exists(path)) return make_error(ErrorCode::not_found, "no database at " + path);
  PARLEY_ASSIGN_OR_RETURN(const Database db, open(path, SQLITE_OPEN_READONLY));
  DatabaseSummary summary;
  std::string error;
  if (!query(db.get(), "SELECT max(version) FROM schema_migrations",
             [&](sqlite3_stmt* stmt) { summary.schema_version = sqlite3_column_int(stmt, 0); }, &error)) {
    return make_error(ErrorCode::unprocessable, path + " is not a Parley database: " + error);
  }
  for (const char* table : {"workspaces", "bots", "sources", "documents", "chunks", "conversations", "messages",
                            "leads", "jobs", "deliveries"}) {
    std::int64_t count = 0;
    if (query(db.get(), std::string("SELECT count(*) FROM ") + table,
              [&](sqlite3_stmt* stmt) { count = sqlite3_column_int64(stmt, 0); }, nullptr)) {
      summary.rows[table] = count;
    }
  }
  return summary;
}

bool database_in_use(const std::string& path) {
  // SQLite's unix VFS: every connection holds a read lock on byte 128 of the -shm file (the "dead man switch",
  // after the 120-byte header and 8 lock bytes) while it is open.
  const std::string shm = path + "-shm";
  const int fd = ::open(shm.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 128;
  lock.l_len = 1;
  const bool in_use = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return in_use;
}

Status copy_database(const std::string& source, const std::string& destination,
                     const std::function<bool(const CopyProgress&)>& progress, int pages_per_step) {
  if (!std::filesystem::exists(source)) return make_error(ErrorCode::not_found, "no database at " + source);
  if (std::filesystem::exists(destination)) return make_error(ErrorCode::conflict, destination + " exists already");
  PARLEY_ASSIGN_OR_RETURN(const Database from, open(source, SQLITE_OPEN_READONLY));
  const auto remove_partial = [&] {
    std::error_code ignored;
    std::filesystem::remove(destination, ignored);
    std::filesystem::remove(destination + "-journal", ignored);
  };
  Status status;
  {
    PARLEY_ASSIGN_OR_RETURN(const Database to, open(destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    std::string error;
    // One read transaction for the whole copy: every step reads the same snapshot, so writers elsewhere (the
    // server) neither restart the backup nor make it inconsistent; in WAL mode they are not blocked by it either.
    if (!query(from.get(), "BEGIN", {}, &error) ||
        !query(from.get(), "SELECT count(*) FROM sqlite_schema", [](sqlite3_stmt*) {}, &error)) {
      remove_partial();
      return make_error(ErrorCode::unavailable, "cannot read " + source + ": " + error);
    }
    // The copy's own writes need no journal and no syncing: a failed copy is deleted, not recovered, and whoever
    // keeps the copy makes it durable (the backup archive is synced as a whole).
    query(to.get(), "PRAGMA journal_mode=OFF", [](sqlite3_stmt*) {}, nullptr);
    query(to.get(), "PRAGMA synchronous=OFF", [](sqlite3_stmt*) {}, nullptr);
    sqlite3_backup* backup = sqlite3_backup_init(to.get(), "main", from.get(), "main");
    if (backup == nullptr) {
      status = make_error(ErrorCode::internal, std::string("cannot start the copy: ") + sqlite3_errmsg(to.get()));
    } else {
      const std::int64_t page_size = pragma_integer(from.get(), "page_size");
      int rc = SQLITE_OK;
      bool cancelled = false;
      while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        rc = sqlite3_backup_step(backup, pages_per_step);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
        const CopyProgress now{sqlite3_backup_pagecount(backup) - sqlite3_backup_remaining(backup),
                               sqlite3_backup_pagecount(backup), page_size};
        if (progress && !progress(now)) {
          cancelled = true;
          break;
        }
      }
      sqlite3_backup_finish(backup);
      if (cancelled) {
        status = make_error(ErrorCode::unavailable, "the copy was cancelled");
      } else if (rc != SQLITE_DONE) {
        status = make_error(rc == SQLITE_FULL ? ErrorCode::unavailable : ErrorCode::internal,
                            std::string("the copy failed: ") + (rc == SQLITE_FULL ? "the disk is full" : sqlite3_errstr(rc)));
      }
    }
    query(from.get(), "COMMIT", {}, nullptr);
  }
  if (!status.ok()) remove_partial();
  return status;
}

}  // namespace parley::store
