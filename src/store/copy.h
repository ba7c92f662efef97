// Moving up from the embedded store: `parley store copy --to postgresql://...`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::store {

struct CopiedTable {
  std::string name;
  std::int64_t rows = 0;  // in the SQLite snapshot, and (checked) in PostgreSQL afterwards
};

// Copies every table of the SQLite store at `sqlite_path` into the PostgreSQL database at `url`: migrated first,
// and refused unless it holds no workspace yet. The SQLite file is read in one snapshot, so a running server may
// keep writing meanwhile (what it writes after the snapshot is not copied). Ids are kept (and PostgreSQL's id
// sequences moved past them); chunks take their analysed terms from the SQLite full-text index. Everything is
// written in one PostgreSQL transaction, committed only when every table's row count matches its source's: a
// failure leaves the target as it was. `progress` is told each table as it is done.
// The URL with its password replaced by "***", for messages (without libpq's headers, which stay the store's own).
std::string redacted_url(std::string_view url);

Result<std::vector<CopiedTable>> copy_to_postgres(const std::string& sqlite_path, const std::string& url,
                                                  const std::function<void(const CopiedTable&)>& progress = {});

}  // namespace parley::store
