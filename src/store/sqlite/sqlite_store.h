// The SQLite store: one database file, the default for one machine.
#pragma once

#include <memory>

#include "store/store.h"

namespace parley::store::sqlite {

Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options);

}  // namespace parley::store::sqlite
