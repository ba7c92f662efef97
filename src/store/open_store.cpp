// The backend a StoreOptions asks for.
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace parley::store {

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  if (!options.url.empty()) {
    if (!postgres::is_postgres_url(options.url)) {
      return make_error(ErrorCode::invalid_request, "the store URL must start with postgresql:// (got \"" +
                                                         options.url.substr(0, options.url.find(':')) + ":...\")");
    }
    return postgres::open_pg_store(options);
  }
  return sqlite::open_sqlite_store(options);
}

}  // namespace parley::store
