// The PostgreSQL store (chosen by a postgresql:// URL): PostgreSQL as the system of record for several stateless
// replicas. See docs/ARCHITECTURE.md (Storage) and docs/SCALING.md.
#pragma once

#include <memory>
#include <string_view>

#include "store/store.h"

namespace parley::store::postgres {

bool is_postgres_url(std::string_view url);
// Connects, migrates (under an advisory lock) and starts this replica's search index.
Result<std::unique_ptr<Store>> open_pg_store(const StoreOptions& options);

}  // namespace parley::store::postgres
