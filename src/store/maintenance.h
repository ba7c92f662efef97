// Operations on the store as a whole, outside of transactions: integrity checks (`parley doctor`, the server's
// start) and consistent copies while it serves (`parley backup`). SQLite implementation in sqlite/maintenance.cpp;
// a PostgreSQL store is checked and backed up with its own tools (pg_amcheck, pg_dump: docs/OPERATIONS.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace parley::store {

struct IntegrityReport {
  bool ok = false;
  // SQLite's findings as it states them ("Tree 7 page 7: btreeInitPage() returns error code 11"), each followed by
  // the table or index it concerns when the schema still names it.
  std::vector<std::string> problems;
  int schema_version = 0;  // the highest migration applied (0 when unreadable)
  std::int64_t page_size = 0;
  std::int64_t page_count = 0;
  std::int64_t freelist_pages = 0;
};

// Opens the database file read-only (a running server's writes are not disturbed) and runs SQLite's quick_check, or
// with `full` its integrity_check (indexes against their tables as well; slower). Errors: the file cannot be opened
// as a database at all.
Result<IntegrityReport> check_database(const std::string& path, bool full = false);

// What a database holds, read cheaply (for backups' manifests and `parley backup verify`).
struct DatabaseSummary {
  int schema_version = 0;
  std::map<std::string, std::int64_t> rows;  // per main table: workspaces, bots, documents, chunks, conversations, ...
};
Result<DatabaseSummary> summarize_database(const std::string& path);

// Whether another process has the database open (a running server): SQLite connections in WAL mode hold a shared
// lock on the shared-memory file for as long as they are open.
bool database_in_use(const std::string& path);

struct CopyProgress {
  std::int64_t pages_done = 0;
  std::int64_t pages_total = 0;
  std::int64_t page_size = 0;
};

// Copies the database at `source` — which a server may be reading and writing meanwhile — into the new file
// `destination` with SQLite's online backup API, under one read transaction: the copy is the database as it was at
// one instant, every transaction committed before it whole and none after it. `progress` runs after each step of
// `pages_per_step` pages; returning false cancels (the partial copy is removed and the error says so).
Status copy_database(const std::string& source, const std::string& destination,
                     const std::function<bool(const CopyProgress&)>& progress = {}, int pages_per_step = 4096);

}  // namespace parley::store
