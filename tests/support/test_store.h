// The store a test runs against. Test binaries are built twice where both backends matter: as they are (SQLite, a
// file in the test's folder) and with PARLEY_TEST_POSTGRES defined (a fresh database on the test process's own
// PostgreSQL server, support/postgres.h).
#pragma once

#include <memory>

#include "store/store.h"
#include "support/temp_dir.h"
#if PARLEY_TEST_POSTGRES
#include "support/postgres.h"
#endif

namespace parley::testing {

inline constexpr bool kPostgres = PARLEY_TEST_POSTGRES != 0;

// Options for a new, empty store (call once per store; reopen with the same options).
inline store::StoreOptions test_store_options(const TempDir& dir) {
  store::StoreOptions options;
  options.path = dir.file("parley.db");
#if PARLEY_TEST_POSTGRES
  options.url = PostgresServer::instance().create_database();
  options.index_dir = dir.file("index");
#endif
  return options;
}

inline std::unique_ptr<store::Store> open_test_store(const store::StoreOptions& options) {
  auto opened = store::open_store(options);
  if (!opened.ok()) throw std::runtime_error("cannot open the test store: " + opened.error().message);
  return std::move(opened).value();
}

}  // namespace parley::testing
