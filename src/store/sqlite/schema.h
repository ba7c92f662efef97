// Versioned schema of the SQLite store.
#pragma once

#include <string>
#include <string_view>

#include "store/sqlite/connection.h"

namespace parley::store::sqlite {

// Applies every migration newer than the database's version, each in its own transaction; returns the version.
int migrate(Connection& db);

}  // namespace parley::store::sqlite
